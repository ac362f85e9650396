using System.Diagnostics;
using System.Globalization;
using EegDann.Daemon.Models;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using EegDann.Pipelines.Definitions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Calibration;

/// <summary>
/// The online calibrator: collects the subject's unlabeled signal (clean, gap-free stretches);
/// when <see cref="CalibratorOptions.CollectMinutes"/> are in, or when asked
/// (<see cref="Request"/>, <c>POST /calibrate</c>), it runs the calibration use case in the
/// background on a lowest-priority thread, checks the outcome
/// (<see cref="CalibrationAcceptance"/>) and the model file (<see cref="DecoderModelLoader"/>), and
/// hot-swaps the model between two windows. A failed or rejected calibration keeps the model in
/// use. Never a daemon fault: every error is logged and counted.
/// </summary>
internal sealed partial class CalibratorService : BackgroundService, ICalibrationTrigger
{
    private const double MaxCollectSecondsWhenOnlyAsked = 30 * 60;
    private readonly CalibratorOptions _options;
    private readonly string _defaultSubject;
    private readonly DaemonPipes _pipes;
    private readonly SourceRuntime _runtime;
    private readonly ActiveModel _models;
    private readonly ISubjectCalibration? _calibration;
    private readonly AlignmentMode _alignment;
    private readonly DaemonMetrics _metrics;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _requested = new(0);
    private readonly object _gate = new();
    private readonly UnlabeledSignalCollector _collector;
    private int _busy;
    private string _why = string.Empty;
    private int _runs;
    private string? _last;

    public CalibratorService(IOptions<CalibratorOptions> options, IOptions<AcquisitionOptions> acquisition, IOptions<DecoderOptions> decoder, DaemonPipes pipes, SourceRuntime runtime, ActiveModel models, IEnumerable<ISubjectCalibration> calibrations, DaemonMetrics metrics, ILogger<CalibratorService> logger)
    {
        _runtime = runtime;
        _options = options.Value;
        _defaultSubject = acquisition.Value.Subject;
        _alignment = decoder.Value.Alignment;
        _pipes = pipes;
        _models = models;
        _calibration = calibrations.LastOrDefault();
        _metrics = metrics;
        _logger = logger;
        _collector = new UnlabeledSignalCollector(_options.CollectMinutes > 0 ? _options.CollectMinutes * 60 : MaxCollectSecondsWhenOnlyAsked);
    }

    /// <summary>Seconds of clean signal collected so far.</summary>
    public double CollectedSeconds
    {
        get
        {
            lock (_gate)
            {
                return _collector.Seconds;
            }
        }
    }

    /// <summary>Whether the calibrator is on.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>Whether a calibration is running (asked, training or checking).</summary>
    public bool Calibrating => Volatile.Read(ref _busy) != 0;

    /// <summary>Seconds of signal after which a calibration starts by itself (0: only when asked).</summary>
    public double CollectTargetSeconds => Math.Max(0, _options.CollectMinutes * 60);

    /// <summary>How the last calibration ended ("accepted: FILE" or "rejected: WHY"), or null.</summary>
    public string? LastOutcome => Volatile.Read(ref _last);

    /// <summary>Calibrations finished (accepted or not).</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <inheritdoc />
    public bool Request(string why)
    {
        if (!_options.Enabled || _calibration is null || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        _why = why;
        _requested.Release();
        return true;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled && _calibration is null)
        {
            throw new InvalidOperationException($"{CalibratorOptions.SectionName}:Enabled is true, but this build has no calibration use case to call (ISubjectCalibration).");
        }

        if (_options.Enabled)
        {
            Directory.CreateDirectory(_options.OutputDirectory!);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var collecting = CollectAsync();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _requested.WaitAsync(stoppingToken);
                try
                {
                    await CalibrateAsync(stoppingToken);
                }
                finally
                {
                    Interlocked.Increment(ref _runs);
                    Volatile.Write(ref _busy, 0);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        await collecting;
    }

    private async Task CollectAsync()
    {
        bool asked = _options.CollectMinutes <= 0;
        await foreach (var e in _pipes.Calibrator!.Reader.ReadAllAsync(CancellationToken.None))
        {
            double seconds;
            lock (_gate)
            {
                _collector.Add(e, _defaultSubject);
                seconds = _collector.Seconds;
            }

            _pipes.CalibratorBudget!.Release(DaemonPipes.BytesOf(e));

            if (!asked && seconds >= _options.CollectMinutes * 60)
            {
                asked = Request(string.Create(CultureInfo.InvariantCulture, $"{_options.CollectMinutes:0.##} minutes of signal collected"));
            }
        }
    }

    private async Task CalibrateAsync(CancellationToken stoppingToken)
    {
        var current = _models.Current;
        IReadOnlyList<EegDann.Core.Recording> target;
        string subject;
        lock (_gate)
        {
            target = _collector.ToRecordings(current.WindowSamples);
            subject = _collector.Subject ?? _defaultSubject;
        }

        double seconds = target.Sum(r => r.DurationSeconds);
        if (target.Count == 0)
        {
            Reject(subject, "no clean stretch of signal as long as a window has been collected yet");
            return;
        }

        PipelineDefinition pipeline;
        try
        {
            pipeline = string.IsNullOrWhiteSpace(_options.Pipeline) ? current.Definition : PipelineDefinitionLoader.Load(_options.Pipeline);
        }
        catch (PipelineDefinitionException e)
        {
            Reject(subject, e.Message);
            return;
        }

        string output = Path.Combine(Path.GetFullPath(_options.OutputDirectory!), $"{subject}_{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture)}.eegdann");
        var request = new OnlineCalibrationRequest(subject, target, _options.SourceRecordings, pipeline, string.IsNullOrWhiteSpace(_options.Method) ? null : _options.Method, _options.Seed, output);
        LogStarted(subject, _why, seconds, target.Count, _options.SourceRecordings.Count, TrainingNice(_runtime.RealtimeControlPath));
        var clock = Stopwatch.StartNew();
        Checked result;
        try
        {
            // Training, loading the new file and predicting the collected signal with it all run
            // on the low-priority thread; only the swap happens here.
            result = await LowPriorityThread.Run("eegdann-calibration", TrainingNice(_runtime.RealtimeControlPath), () => TrainAndCheckAsync(request, stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            Reject(subject, $"the calibration failed: {e.GetType().Name}: {e.Message}");
            return;
        }

        var problems = CalibrationAcceptance.Problems(result.Outcome, result.TargetClassShares, _options);
        string shares = string.Join(", ", result.TargetClassShares.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:P0}")));
        if (problems.Count > 0)
        {
            result.Candidate?.Dispose();
            Reject(subject, string.Join("; ", problems) + (result.Outcome.ModelPath is null ? string.Empty : $" (the file {result.Outcome.ModelPath} is left for inspection)"));
            return;
        }

        string? swapProblem = _models.TrySwap(result.Candidate!, $"calibration of {subject}");
        if (swapProblem != null)
        {
            _metrics.CalibrationRejected();
            return;
        }

        _metrics.CalibrationAccepted();
        Volatile.Write(ref _last, $"accepted: {result.Outcome.ModelPath}");
        LogAccepted(subject, result.Outcome.ModelPath!, clock.Elapsed.TotalSeconds, result.Outcome.DomainAccuracy ?? double.NaN, result.Outcome.SourceAccuracy ?? double.NaN, shares);
    }

    private async Task<Checked> TrainAndCheckAsync(OnlineCalibrationRequest request, CancellationToken cancellationToken)
    {
        var outcome = await _calibration!.CalibrateAsync(request, null, cancellationToken);
        if (outcome.Failure != null || outcome.ModelPath is null)
        {
            return new Checked(outcome, null, new Dictionary<string, double>());
        }

        var candidate = DecoderModelLoader.Load(outcome.ModelPath);
        try
        {
            var shares = TargetPredictions.ClassShares(candidate, request.Target, request.Subject, _alignment, cancellationToken);
            return new Checked(outcome, candidate, shares);
        }
        catch
        {
            candidate.Dispose();
            throw;
        }
    }

    private void Reject(string subject, string problem)
    {
        _metrics.CalibrationRejected();
        Volatile.Write(ref _last, $"rejected: {problem}");
        LogRejected(subject, problem);
    }

    /// <summary>The training thread's nice value: 19 (the lowest priority) unless the control path runs with a real-time policy, then 0.</summary>
    /// <remarks>
    /// A garbage collection stops every thread running managed code and waits until each has
    /// reached a safe point. A training thread at nice 19 on a busy machine gets a processor a few
    /// times a second (weight 15 against 1024 at nice 0), so every collection — whoever starts it —
    /// waited up to hundreds of milliseconds for it with the control thread stopped (1.7–2.2 s of
    /// pauses in 12 s under two CPU hogs, daemon-load). With the control path at a real-time
    /// policy, the scheduler runs it first anyway, so the training needs no high nice value to
    /// leave it room, and at 0 it reaches safe points within the normal time slice.
    /// </remarks>
    internal static int TrainingNice(bool realtimeControlPath) => realtimeControlPath ? 0 : 19;

    [LoggerMessage(Level = LogLevel.Information, Message = "Calibrating for {Subject} ({Why}): {Seconds:F0} s of unlabeled signal in {Stretches} stretches, {Sources} source recordings, at nice {Nice}")]
    private partial void LogStarted(string subject, string why, double seconds, int stretches, int sources, int nice);

    [LoggerMessage(Level = LogLevel.Information, Message = "Calibration for {Subject} accepted after {Seconds:F1} s: {ModelPath} (domain accuracy {DomainAccuracy:F3}, source accuracy {SourceAccuracy:F3}, collected windows predicted as {ClassShares})")]
    private partial void LogAccepted(string subject, string modelPath, double seconds, double domainAccuracy, double sourceAccuracy, string classShares);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Calibration for {Subject} rejected: {Problem}; keeping the current model")]
    private partial void LogRejected(string subject, string problem);

    private sealed record Checked(OnlineCalibrationResult Outcome, DecoderModel? Candidate, IReadOnlyDictionary<string, double> TargetClassShares);
}
