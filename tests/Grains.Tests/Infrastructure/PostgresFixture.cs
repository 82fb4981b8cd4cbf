namespace YoloSweep.Testing;

/// <summary>One PostgreSQL server for every test of the assembly that joins the "postgres" collection.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    PostgresServer? _server;
    public PostgresServer Server => _server ?? throw new InvalidOperationException("PostgreSQL did not start");
    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();
    public async Task DisposeAsync() { if (_server is not null) await _server.DisposeAsync(); }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;
