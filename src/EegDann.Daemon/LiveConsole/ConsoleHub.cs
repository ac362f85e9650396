using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace EegDann.Daemon.LiveConsole;

/// <summary>
/// The browsers connected to the console's event stream. Each has its own bounded queue of
/// frames that drops the oldest frame when full: publishing never waits, so a slow or stalled
/// browser only loses frames (each frame is complete, so it only loses time).
/// </summary>
internal sealed class ConsoleHub(IOptions<ConsoleOptions> options)
{
    private readonly object _gate = new();
    private readonly List<Client> _clients = [];
    private long _dropped;

    /// <summary>Browsers connected now.</summary>
    public int Clients
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    /// <summary>Frames dropped from browsers' queues so far (all browsers).</summary>
    public long DroppedFrames => Interlocked.Read(ref _dropped);

    /// <summary>Adds a browser, or returns null when <see cref="ConsoleOptions.MaxClients"/> are connected.</summary>
    public Client? Join()
    {
        lock (_gate)
        {
            if (_clients.Count >= options.Value.MaxClients)
            {
                return null;
            }

            var client = new Client(this, options.Value.ClientQueue);
            _clients.Add(client);
            return client;
        }
    }

    /// <summary>Offers a frame to every browser (never waits).</summary>
    public void Publish(byte[] frame)
    {
        Client[] clients;
        lock (_gate)
        {
            clients = _clients.ToArray();
        }

        foreach (var client in clients)
        {
            client.Offer(frame);
        }
    }

    private void Leave(Client client)
    {
        lock (_gate)
        {
            _clients.Remove(client);
        }
    }

    /// <summary>One browser's queue.</summary>
    internal sealed class Client : IDisposable
    {
        private readonly ConsoleHub _hub;
        private readonly int _capacity;

        public Client(ConsoleHub hub, int capacity)
        {
            _hub = hub;
            _capacity = capacity;
            Frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropOldest });
        }

        /// <summary>The frames waiting to be sent.</summary>
        public Channel<byte[]> Frames { get; }

        /// <summary>Frames this browser lost.</summary>
        public long Dropped { get; private set; }

        public void Offer(byte[] frame)
        {
            if (Frames.Reader.Count >= _capacity)
            {
                Dropped++;
                Interlocked.Increment(ref _hub._dropped);
            }

            Frames.Writer.TryWrite(frame);
        }

        public void Dispose()
        {
            Frames.Writer.TryComplete();
            _hub.Leave(this);
        }
    }
}
