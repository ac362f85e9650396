using EegDann.Core;
using EegDann.Model;
using EegDann.Pipelines.Calibration;
using EegDann.Recordings.Parquet;
using EegDann.TestSupport;

namespace EegDann.Pipelines.Tests;

/// <summary>Who disposes a fold's networks: <see cref="OwnedSet{T}"/>, and the runner's use of it.</summary>
public sealed class ModelOwnershipTests
{
    private static readonly string[] Runs = ["R04", "R08", "R12"];

    /// <summary>A hand-written disposable that counts its disposals.</summary>
    private sealed class Counted : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }

    [Fact]
    public void AnOwnerDisposesEachItemItHoldsOnceEvenWhenTakenTwiceOrDisposedTwice()
    {
        var (a, b) = (new Counted(), new Counted());
        var owner = new OwnedSet<Counted>();
        owner.Own(a);
        owner.Own(b);
        owner.Own(a);

        owner.Dispose();
        owner.Dispose();

        Assert.Equal(1, a.Disposals);
        Assert.Equal(1, b.Disposals);
    }

    [Fact]
    public void AnItemHandedOnSurvivesItsFirstOwnerAndIsDisposedOnceByTheSecond()
    {
        var (kept, other) = (new Counted(), new Counted());
        var outcome = new OwnedSet<Counted>();
        using (var fold = new OwnedSet<Counted>())
        {
            fold.Own(kept);
            fold.Own(other);
            fold.Transfer(kept, outcome);
            // Kept twice (two runs sharing one network): still one owner.
            fold.Transfer(kept, outcome);
            Assert.False(fold.Owns(kept));
        }

        Assert.Equal(0, kept.Disposals);
        Assert.Equal(1, other.Disposals);
        using (var moved = outcome.TakeAll())
        {
            Assert.Equal(0, outcome.Count);
            Assert.True(moved.Owns(kept));
        }

        outcome.Dispose();
        Assert.Equal(1, kept.Disposals);
    }

    [Fact]
    public void AnExceptionBeforeTheHandOverDisposesEveryItemOfBothOwners()
    {
        var items = Enumerable.Range(0, 3).Select(_ => new Counted()).ToArray();

        void FailingFold()
        {
            using var fold = new OwnedSet<Counted>();
            using var kept = new OwnedSet<Counted>();
            foreach (var item in items)
            {
                fold.Own(item);
            }

            fold.Transfer(items[0], kept);
            throw new InvalidOperationException("a fold that fails after keeping a network");
        }

        Assert.Throws<InvalidOperationException>(FailingFold);

        Assert.All(items, i => Assert.Equal(1, i.Disposals));
    }

    [Fact]
    public void AReleasedItemIsDisposedAtOnceAndNotAgainAndOnlyAHeldItemCanBeReleasedOrHandedOn()
    {
        var (item, stranger) = (new Counted(), new Counted());
        var owner = new OwnedSet<Counted>();
        owner.Own(item);

        owner.Release(item);
        Assert.Equal(1, item.Disposals);
        owner.Dispose();

        Assert.Equal(1, item.Disposals);
        using var other = new OwnedSet<Counted>();
        Assert.Throws<InvalidOperationException>(() => other.Release(stranger));
        Assert.Throws<InvalidOperationException>(() => other.Transfer(stranger, new OwnedSet<Counted>()));
        Assert.Equal(0, stranger.Disposals);
    }

    [Fact]
    public async Task AKeptNetworkSharedWithAnEnsembleSurvivesItsFoldAndEveryOtherNetworkIsDisposed()
    {
        var data = await S001AndS002();
        var made = new List<TrainedModel>();
        var runner = new CrossSubjectRunner(data) { ModelTrained = made.Add };
        var methods = new[] { "ea_dann", "ea_dann_x2", "ea_dann_ba" }.Select(CalibrationMethod.Parse).ToArray();

        var outcome = runner.Run(new CrossSubjectFold("S002", ["S001"]), methods, [0], new TargetSplit(0), keep: [("ea_dann", 0)]);

        // ea_dann seed 0 is member 0 of ea_dann_x2 seed 0 (trained once); the ensemble and the adapted copy are new networks.
        var kept = Assert.Single(outcome.Kept).Model;
        Assert.Equal(4, made.Count);
        Assert.Contains(kept, made);
        Assert.False(IsDisposed(kept));
        Assert.All(made.Where(m => !ReferenceEquals(m, kept)), m => Assert.True(IsDisposed(m)));

        outcome.Dispose();
        Assert.True(IsDisposed(kept));
        outcome.Dispose();
    }

    [Fact]
    public async Task ACancelledFoldDisposesEveryNetworkItMadeIncludingTheOnesItHadKept()
    {
        var data = await S001AndS002();
        var made = new List<TrainedModel>();
        using var cancel = new CancellationTokenSource();
        // Cancelled once the ensemble is joined: after training, while the runs are scored (the next run, CSP + LDA, sees it).
        var runner = new CrossSubjectRunner(data)
        {
            ModelTrained = m =>
            {
                made.Add(m);
                if (made.Count == 3)
                {
                    cancel.Cancel();
                }
            },
        };
        var methods = new[] { "ea_dann_x2", "csp_lda" }.Select(CalibrationMethod.Parse).ToArray();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            runner.Run(new CrossSubjectFold("S002", ["S001"]), methods, [0], new TargetSplit(0), keep: [("ea_dann_x2", 0)], cancellationToken: cancel.Token));

        Assert.Equal(3, made.Count);
        Assert.All(made, m => Assert.True(IsDisposed(m)));
    }

    private static async Task<CalibrationData> S001AndS002()
    {
        var recordings = await Task.WhenAll(new[] { "S001", "S002" }.SelectMany(s => Runs.Select(r => (s, r))).Select(async p =>
            ($"{p.s}{p.r}.parquet", await ParquetRecordingReader.ReadAsync(Path.Combine(TestData.RecordingsDirectory, $"{p.s}{p.r}.parquet")))));
        return CalibrationData.Create(CalibrationTests.Small(epochs: 2, ensemble: 1), recordings);
    }

    /// <summary>Whether the network was disposed: decoding one row then fails.</summary>
    private static bool IsDisposed(TrainedModel model)
    {
        int size = model.Spec.SampleShape.Aggregate(1, (a, b) => a * b);
        try
        {
            model.Predict(new SampleMatrix(new float[size], 1, size));
            return false;
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            return true;
        }
    }
}
