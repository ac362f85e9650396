using System.Text.Json;
using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using static EegDann.Daemon.LiveConsole.ConsoleJson;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// The console's decision history: every decision of the last <see cref="DecisionSeconds"/> (its
/// probabilities and command, for the plot), the last <see cref="CommandEvents"/> changes of command
/// or fail-safe reason (the event list), and the current decision; written into each frame as
/// <c>decisions</c>, <c>current</c> and <c>commands</c>.
/// </summary>
/// <remarks>Owned by the console's worker: not thread-safe.</remarks>
internal sealed class DecisionHistory
{
    /// <summary>Seconds of decisions the plot shows.</summary>
    public const double DecisionSeconds = 30.0;

    /// <summary>Changes of command the event list keeps.</summary>
    public const int CommandEvents = 40;

    private readonly LinkedList<DecisionPoint> _decisions = new();
    private readonly LinkedList<CommandEvent> _commands = new();
    private DecisionPoint? _last;

    /// <summary>The class names of the last decision, or null before the first.</summary>
    public IReadOnlyList<string>? LastClasses => _last?.Classes;

    /// <summary>Adds a decision (in stream order; a stream that restarts goes back in time).</summary>
    public void Add(ConsoleDecision d)
    {
        var decision = d.Decision;
        var point = new DecisionPoint(decision.TimeMilliseconds / 1000.0, decision.Probabilities.ToArray(), decision.Command, decision.Reason, d.Detail, decision.ClassNames);
        _decisions.AddLast(point);
        while (_decisions.Count > 0 && point.Seconds - _decisions.First!.Value.Seconds > DecisionSeconds)
        {
            _decisions.RemoveFirst();
        }

        // A stream that restarts goes back in time: keep only the new stream's points.
        while (_decisions.Count > 1 && _decisions.First!.Value.Seconds > point.Seconds)
        {
            _decisions.RemoveFirst();
        }

        if (_last is null || _last.Command != point.Command || _last.Reason != point.Reason)
        {
            _commands.AddLast(new CommandEvent(point.Seconds, point.Command, point.Reason, point.Detail));
            if (_commands.Count > CommandEvents)
            {
                _commands.RemoveFirst();
            }
        }

        _last = point;
    }

    /// <summary>Writes <c>decisions</c> (over <paramref name="classes"/>), <c>current</c> and <c>commands</c> into the frame object being written.</summary>
    public void Write(Utf8JsonWriter w, IReadOnlyList<string> classes, DecoderOptions decoder)
    {
        w.WriteStartObject("decisions");
        w.WriteStartArray("classes");
        foreach (string c in classes)
        {
            w.WriteStringValue(c);
        }

        w.WriteEndArray();
        Number(w, "threshold", decoder.ConfidenceThreshold);
        Number(w, "dwellSeconds", decoder.DwellSeconds);
        w.WriteStartArray("t");
        foreach (var d in _decisions)
        {
            NumberValue(w, d.Seconds, 4);
        }

        w.WriteEndArray();
        w.WriteStartArray("p");
        for (int k = 0; k < classes.Count; k++)
        {
            w.WriteStartArray();
            foreach (var d in _decisions)
            {
                NumberValue(w, k < d.Probabilities.Length ? d.Probabilities[k] : double.NaN, 4);
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteStartArray("command");
        foreach (var d in _decisions)
        {
            w.WriteNumberValue(IndexOf(classes, d.Command));
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("current");
        w.WriteString("command", _last?.Command);
        w.WriteString("reason", _last is null || _last.Reason == FailSafeReason.None ? null : _last.Reason.Name());
        w.WriteString("detail", _last?.Detail);
        Number(w, "t", _last?.Seconds ?? double.NaN, 3);
        w.WriteEndObject();

        w.WriteStartArray("commands");
        foreach (var e in _commands.Reverse())
        {
            w.WriteStartObject();
            Number(w, "t", e.Seconds, 3);
            w.WriteString("command", e.Command);
            w.WriteString("reason", e.Reason == FailSafeReason.None ? null : e.Reason.Name());
            w.WriteString("detail", e.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static int IndexOf(IReadOnlyList<string> classes, string command)
    {
        for (int i = 0; i < classes.Count; i++)
        {
            if (string.Equals(classes[i], command, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record DecisionPoint(double Seconds, float[] Probabilities, string Command, FailSafeReason Reason, string? Detail, IReadOnlyList<string> Classes);

    private sealed record CommandEvent(double Seconds, string Command, FailSafeReason Reason, string? Detail);
}
