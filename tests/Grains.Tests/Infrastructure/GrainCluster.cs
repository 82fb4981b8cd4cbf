using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using YoloSweep.Grains;
using YoloSweep.Grains.Storage;

namespace YoloSweep.Testing;

/// <summary>
/// Real silos in this process (Orleans' in-process test cluster) running the grains over a real database (a SQLite
/// file or a PostgreSQL database), with a clock the test moves by hand. Silos can be killed and added mid-test.
/// </summary>
public sealed class GrainCluster : IAsyncDisposable
{
    readonly InProcessTestCluster _cluster;

    GrainCluster(InProcessTestCluster cluster, Database db, ManualClock clock)
    {
        _cluster = cluster; Database = db; Clock = clock;
    }

    public Database Database { get; }
    public ManualClock Clock { get; }
    public IReadOnlyList<InProcessSiloHandle> Silos => _cluster.Silos;

    /// <summary>The orchestrator of the first silo still running (the API of a surviving replica).</summary>
    public Orchestrator Orchestrator => Silos.First(s => s.IsActive).ServiceProvider.GetRequiredService<Orchestrator>();

    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);

    public static async Task<GrainCluster> StartAsync(string db, ManualClock? clock = null, int silos = 1)
    {
        clock ??= new ManualClock();
        var database = Database.Open(db);
        await Migrations.ApplyAsync(database);
        var settings = await ClusterSettings.LoadAsync(database, LeaseTime, LeaseTime);
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) => silo.AddYoloSweepGrains(database, settings, new OrchestratorClock(clock)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new GrainCluster(cluster, database, clock);
    }

    public Task KillSiloAsync(InProcessSiloHandle silo) => _cluster.KillSiloAsync(silo);

    public Task<InProcessSiloHandle> StartSiloAsync() => _cluster.StartAdditionalSiloAsync();

    /// <summary>The silo that hosts a grain's activation now, or null.</summary>
    public InProcessSiloHandle? HostOf(GrainId grain) =>
        _cluster.TryGetGrainContext(grain, out var ctx) ? Silos.FirstOrDefault(s => s.IsActive && s.SiloAddress.Equals(ctx.Address.SiloAddress)) : null;

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await Database.DisposeAsync();
    }
}
