namespace EegDann.Pipelines.Calibration;

/// <summary>
/// The one owner of a set of disposables (a fold's networks): each item is disposed exactly once,
/// by the owner that holds it when it is disposed, unless it was handed on first.
/// </summary>
/// <remarks>
/// Ownership moves only explicitly: <see cref="Transfer"/> hands one item to another owner,
/// <see cref="TakeAll"/> hands every item to a new owner, <see cref="Release"/> disposes one item
/// now. An item is held by at most one owner, and an owner holds it once however often it is added
/// (two runs may share one network), so an exception anywhere before a hand-over leaves nothing
/// undisposed and nothing is disposed twice. Items are compared by reference.
/// </remarks>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class OwnedSet<T> : IDisposable
    where T : class, IDisposable
{
    private readonly List<T> _items = [];
    private readonly Action<T>? _owned;
    private bool _disposed;

    /// <summary>Creates an empty owner.</summary>
    /// <param name="owned">Told of every item this owner takes (tests watch a fold's networks with it), or null.</param>
    public OwnedSet(Action<T>? owned = null)
    {
        _owned = owned;
    }

    /// <summary>How many items this owner holds.</summary>
    public int Count => _items.Count;

    /// <summary>Whether this owner holds <paramref name="item"/>.</summary>
    public bool Owns(T item) => _items.Any(i => ReferenceEquals(i, item));

    /// <summary>Takes ownership of <paramref name="item"/> (a no-op if already held) and returns it.</summary>
    /// <exception cref="ObjectDisposedException">When this owner was disposed (the item is disposed first).</exception>
    public T Own(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_disposed)
        {
            item.Dispose();
            throw new ObjectDisposedException(nameof(OwnedSet<T>));
        }

        if (!Owns(item))
        {
            _items.Add(item);
            _owned?.Invoke(item);
        }

        return item;
    }

    /// <summary>Hands <paramref name="item"/> to <paramref name="other"/>; a no-op when <paramref name="other"/> already holds it.</summary>
    /// <exception cref="InvalidOperationException">When neither owner holds the item.</exception>
    public void Transfer(T item, OwnedSet<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Owns(item))
        {
            return;
        }

        if (!Remove(item))
        {
            throw new InvalidOperationException("the item to hand on is not held by this owner.");
        }

        other.Own(item);
    }

    /// <summary>Disposes <paramref name="item"/> now and stops holding it.</summary>
    /// <exception cref="InvalidOperationException">When this owner does not hold the item.</exception>
    public void Release(T item)
    {
        if (!Remove(item))
        {
            throw new InvalidOperationException("the item to release is not held by this owner.");
        }

        item.Dispose();
    }

    /// <summary>A new owner of every item held here; this owner is left empty.</summary>
    public OwnedSet<T> TakeAll()
    {
        var all = new OwnedSet<T>();
        all._items.AddRange(_items);
        _items.Clear();
        return all;
    }

    /// <summary>Disposes every item still held, once.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var items = _items.ToArray();
        _items.Clear();
        List<Exception>? errors = null;
        foreach (var item in items)
        {
            try
            {
                item.Dispose();
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }

        if (errors is not null)
        {
            throw new AggregateException("disposing owned items failed.", errors);
        }
    }

    private bool Remove(T item)
    {
        int index = _items.FindIndex(i => ReferenceEquals(i, item));
        if (index < 0)
        {
            return false;
        }

        _items.RemoveAt(index);
        return true;
    }
}
