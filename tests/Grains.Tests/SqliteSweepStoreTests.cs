using YoloSweep.Grains.Stores;

namespace YoloSweep.Grains.Tests;

public sealed class SqliteSweepStoreTests : SweepStoreContract, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-sqlite-").FullName;

    protected override async Task<ISweepStore> CreateStoreAsync(bool reopen = false) =>
        await SweepStores.OpenAsync(Path.Combine(_dir, "sweeps.db"), Clock);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
