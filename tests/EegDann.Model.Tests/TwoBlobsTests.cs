using System.Text.Json;
using EegDann.TestSupport;

namespace EegDann.Model.Tests;

public sealed class TwoBlobsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void PointsAreExactlyThoseOfTheScikitLearnReference(int seed)
    {
        // tests/data/blobs/make_golden.py: make_blobs as ../shared/peers/dann_reference.py calls it.
        using var golden = JsonDocument.Parse(File.ReadAllText(TestData.TestDataFile("blobs", "blobs_golden.json")));
        var expected = golden.RootElement.GetProperty(seed.ToString());

        var data = TwoBlobs.Generate(seed, TwoBlobs.ReferenceTargetShift);

        Assert.Equal(expected.GetProperty("source").EnumerateArray().Select(v => v.GetSingle()), data.Source.Values);
        Assert.Equal(expected.GetProperty("target").EnumerateArray().Select(v => v.GetSingle()), data.Target.Values);
        Assert.Equal(expected.GetProperty("source_labels").EnumerateArray().Select(v => v.GetInt32()), data.SourceLabels);
        Assert.Equal(expected.GetProperty("target_labels").EnumerateArray().Select(v => v.GetInt32()), data.TargetLabels);
    }

    [Fact]
    public void EachDomainHasTwoHundredFiftyPointsPerClassAndTheTargetIsShifted()
    {
        var data = TwoBlobs.Generate(2);
        var reference = TwoBlobs.Generate(2, TwoBlobs.ReferenceTargetShift);

        Assert.Equal(250, data.SourceLabels.Count(l => l == 0));
        Assert.Equal(250, data.TargetLabels.Count(l => l == 1));
        double MeanY(SampleMatrix m) => Enumerable.Range(0, m.Count).Average(i => m.Sample(i)[1]);
        Assert.InRange(MeanY(data.Target) - MeanY(data.Source), 1.45, 1.55);
        Assert.Equal(data.Source.Values, reference.Source.Values);
        Assert.Equal(0.5f, data.Target.Values[1] - reference.Target.Values[1], 5);
    }
}
