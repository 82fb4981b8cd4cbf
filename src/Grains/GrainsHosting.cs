using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Storage;

namespace YoloSweep.Grains;

/// <summary>Registers the grains' services on a silo: the database, grain storage, reminders, the read model and the orchestrator.</summary>
public static class GrainsHosting
{
    public static ISiloBuilder AddYoloSweepGrains(this ISiloBuilder silo, Database db, ClusterSettings settings, OrchestratorClock? clock = null)
    {
        var s = silo.Services;
        s.AddSingleton(db);
        s.AddSingleton(settings);
        s.AddSingleton(clock ?? OrchestratorClock.System);
        s.AddSingleton<ReadModel>();
        s.AddSingleton<Orchestrator>();
        s.AddKeyedSingleton<IGrainStorage>(SqlGrainStorage.Name, (_, _) => new SqlGrainStorage(db));
        silo.AddReminders();
        s.AddSingleton<IReminderTable, SqlReminderTable>();
        return silo;
    }

    /// <summary>Cluster membership in the same database (PostgreSQL clusters).</summary>
    public static ISiloBuilder UseSqlClustering(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<IMembershipTable, SqlMembershipTable>();
        return silo;
    }
}
