using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace EegDann.Daemon.Monitoring;

/// <summary>
/// The daemon's meter (<see cref="DaemonMetrics.MeterName"/>, one per host) as prometheus-net
/// metrics in a registry of its own, rendered by prometheus-net's serializer for <c>GET /metrics</c>.
/// A <see cref="MeterListener"/> maps each instrument to the Prometheus type of the same name:
/// counters (pushed or observed) to counters, histograms to histograms (buckets from the
/// instrument's advice), gauges and up-down counters to gauges; tags become labels.
/// </summary>
/// <remarks>
/// prometheus-net's own <c>MeterAdapter</c> (8.2.1, Prometheus/MeterAdapter.cs) is not used: it
/// names every metric <c>meter_instrument</c> (<c>eegdann_daemon_chunks_total</c>), exports .NET
/// counters as Prometheus gauges, drops series not updated for five minutes (so a zero counter
/// vanishes), and takes a reader lock for every measurement — the daemon's names and types are
/// documented and scraped, and its control path takes no lock. Here a pushed measurement (the
/// decision latency, on the control path) goes straight to its prometheus-net child: no lookup, no
/// lock, no allocation (pushed instruments carry no tags; their tags would be ignored). Observed
/// instruments are read just before each collection, under one lock, off the control path; a
/// labelled gauge series not reported again (a swapped model's id) is removed.
/// </remarks>
internal sealed class PrometheusExport : IDisposable
{
    /// <summary>The content type of the text format (version 0.0.4).</summary>
    public const string ContentType = PrometheusConstants.TextContentTypeWithVersionAndEncoding;

    private readonly Meter _meter;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Observed> _observed = new();
    private readonly Lock _collecting = new();
    private int _started;

    /// <summary>Prepares the export of <paramref name="metrics"/>' meter (listening starts with <see cref="Start"/>).</summary>
    /// <exception cref="ArgumentException">The metrics were created without a meter factory.</exception>
    public PrometheusExport(DaemonMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _meter = metrics.Meter ?? throw new ArgumentException("the daemon's metrics were created without a meter factory, so there is no meter to export.", nameof(metrics));
        _factory = Metrics.WithCustomRegistry(_registry);
        _factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _listener.InstrumentPublished = Publish;
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        _registry.AddBeforeCollectCallback(Observe);
    }

    /// <summary>Starts listening to the meter (its instruments so far and those created later). Idempotent.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _listener.Start();
        }
    }

    /// <summary>Reads the observed instruments and writes every metric in the text format (UTF-8).</summary>
    public Task WriteAsync(Stream to, CancellationToken cancellationToken) => _registry.CollectAndExportAsTextAsync(to, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Publish(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter, _meter))
        {
            return;
        }

        string name = instrument.Name, help = instrument.Description ?? string.Empty;
        var type = instrument.GetType();
        var kind = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        Series? series = null;
        if (kind == typeof(Histogram<>))
        {
            series = new PushedHistogram(_factory.CreateHistogram(name, help, new HistogramConfiguration { Buckets = BucketsOf(instrument) }));
        }
        else if (kind == typeof(Counter<>))
        {
            series = new PushedCounter(_factory.CreateCounter(name, help));
        }
        else if (kind == typeof(Gauge<>) || kind == typeof(UpDownCounter<>))
        {
            series = new PushedGauge(_factory.CreateGauge(name, help), add: kind == typeof(UpDownCounter<>));
        }
        else if (kind == typeof(ObservableCounter<>) || kind == typeof(ObservableGauge<>) || kind == typeof(ObservableUpDownCounter<>))
        {
            var observed = new Observed(_factory, name, help, counter: kind == typeof(ObservableCounter<>));
            _observed.Enqueue(observed);
            series = observed;
        }

        if (series != null)
        {
            listener.EnableMeasurementEvents(instrument, series);
        }
    }

    private static double[]? BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        _ => null,
    };

    /// <summary>Before each collection: every observed instrument reports its current values.</summary>
    private void Observe()
    {
        lock (_collecting)
        {
            var observed = _observed.ToArray();
            foreach (var series in observed)
            {
                series.BeginRound();
            }

            _listener.RecordObservableInstruments();
            foreach (var series in observed)
            {
                series.EndRound();
            }
        }
    }

    /// <summary>Where one instrument's measurements go (the listener's per-instrument state).</summary>
    private abstract class Series
    {
        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);
    }

    private sealed class PushedHistogram(Histogram histogram) : Series
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => histogram.Observe(value);
    }

    private sealed class PushedCounter(Counter counter) : Series
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => counter.Inc(value);
    }

    private sealed class PushedGauge(Gauge gauge, bool add) : Series
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (add)
            {
                gauge.Inc(value);
            }
            else
            {
                gauge.Set(value);
            }
        }
    }

    /// <summary>
    /// An observable instrument: a counter (set to the observed total) or a gauge, created at its
    /// first report with the tag keys as label names. Only called under the collection lock.
    /// </summary>
    private sealed class Observed(MetricFactory factory, string name, string help, bool counter) : Series
    {
        private readonly Dictionary<string, string[]> _series = new(StringComparer.Ordinal);
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private Counter? _counter;
        private Gauge? _gauge;

        public void BeginRound() => _seen.Clear();

        /// <summary>Removes a gauge's labelled series that were not reported this round (a counter keeps its totals).</summary>
        public void EndRound()
        {
            if (counter || _gauge is null)
            {
                return;
            }

            foreach (var (key, labels) in _series.Where(s => !_seen.Contains(s.Key)).ToArray())
            {
                _gauge.RemoveLabelled(labels);
                _series.Remove(key);
            }
        }

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new string[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                labels[i] = tags[i].Value?.ToString() ?? string.Empty;
            }

            if (_counter is null && _gauge is null)
            {
                var names = new string[tags.Length];
                for (int i = 0; i < tags.Length; i++)
                {
                    names[i] = tags[i].Key;
                }

                _counter = counter ? factory.CreateCounter(name, help, names) : null;
                _gauge = counter ? null : factory.CreateGauge(name, help, names);
            }

            string key = string.Join('\u001f', labels);
            _seen.Add(key);
            _series.TryAdd(key, labels);
            if (_counter != null && labels.Length == 0)
            {
                _counter.IncTo(value);
            }
            else if (_counter != null)
            {
                _counter.WithLabels(labels).IncTo(value);
            }
            else if (labels.Length == 0)
            {
                _gauge!.Set(value);
            }
            else
            {
                _gauge!.WithLabels(labels).Set(value);
            }
        }
    }
}
