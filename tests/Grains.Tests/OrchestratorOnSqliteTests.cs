using YoloSweep.Testing;

namespace YoloSweep.Grains.Tests;

public sealed class OrchestratorOnSqliteTests : OrchestratorContract, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-sqlite-").FullName;

    protected override Task<GrainCluster> CreateClusterAsync(bool reopen = false, int silos = 1) =>
        GrainCluster.StartAsync(Path.Combine(_dir, "sweeps.db"), Clock, silos);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
