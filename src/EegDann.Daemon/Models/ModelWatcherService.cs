using EegDann.Daemon.Monitoring;
using EegDann.Daemon.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.Models;

/// <summary>
/// Watches the model file: when it changes (file-system events, and a poll in case events are
/// missed), the new file is loaded, checked and swapped in between two windows. A file that
/// does not load or does not fit keeps the current model (and is not retried until it changes
/// again). Loading runs here, off the control path.
/// </summary>
internal sealed partial class ModelWatcherService(IOptions<DecoderOptions> options, ActiveModel models, DaemonMetrics metrics, ILogger<ModelWatcherService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.WatchModel)
        {
            return;
        }

        string path = Path.GetFullPath(o.ModelPath!);
        var seen = Fingerprint.Of(path);
        var changed = new SemaphoreSlim(0);
        using var watcher = CreateWatcher(path, changed);
        LogWatching(path);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(o.WatchPollSeconds), stoppingToken);
                var now = Fingerprint.Of(path);
                if (now == seen || now.Length == 0)
                {
                    continue;
                }

                // Wait until the writer is done (the size and time stop changing).
                await Task.Delay(TimeSpan.FromMilliseconds(250), stoppingToken);
                var settled = Fingerprint.Of(path);
                if (settled != now)
                {
                    changed.Release();
                    continue;
                }

                seen = settled;
                Offer(path);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Offer(string path)
    {
        DecoderModel candidate;
        try
        {
            candidate = DecoderModelLoader.Load(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Any failure to load keeps the current model (the loader bounds sizes before allocating).
            metrics.ModelRejected();
            LogBadFile(path, e.Message);
            return;
        }

        try
        {
            models.TrySwap(candidate, "model file changed");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            candidate.Dispose();
            metrics.ModelRejected();
            LogBadFile(path, e.Message);
        }
    }

    private FileSystemWatcher? CreateWatcher(string path, SemaphoreSlim changed)
    {
        try
        {
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler onChange = (_, _) => changed.Release();
            watcher.Changed += onChange;
            watcher.Created += onChange;
            watcher.Renamed += (_, _) => changed.Release();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            LogNoEvents(path, e.Message);
            return null;
        }
    }

    private readonly record struct Fingerprint(long Length, DateTime WrittenUtc)
    {
        public static Fingerprint Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new Fingerprint(info.Length, info.LastWriteTimeUtc) : default;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Path} for new models")]
    private partial void LogWatching(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "New model file {Path} rejected: {Problem}; keeping the current model")]
    private partial void LogBadFile(string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot watch {Path} for changes ({Problem}); polling only")]
    private partial void LogNoEvents(string path, string problem);
}
