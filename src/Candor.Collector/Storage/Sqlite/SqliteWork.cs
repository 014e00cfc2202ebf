namespace Candor.Collector.Storage.Sqlite;

/// <summary>One piece of the SQLite writer's work: it runs inside a write transaction and is completed once that is committed.</summary>
internal abstract class SqliteWork(int events) : QueuedWork(events)
{
    public abstract void Execute(SqliteWriter writer);
}

internal sealed class SqliteWork<T>(int events, Func<SqliteWriter, T> action) : SqliteWork(events)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _completion.Task;

    public override void Execute(SqliteWriter writer) => _result = action(writer);

    public override void Complete() => _completion.TrySetResult(_result!);

    public override void Fail(Exception exception) => _completion.TrySetException(exception);
}
