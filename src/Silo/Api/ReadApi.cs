namespace YoloSweep.Silo.Api;

/// <summary>
/// Every read-only endpoint of /api/v1 (sweeps, curves, trials and their files, hosts, leaderboard), from the read
/// model alone: the Silo maps it behind the client or trainer token, `yolosweep dashboard` on the loopback without one.
/// Needs <see cref="Grains.Queries.ReadModel"/> and <see cref="TrialFiles"/> in the services.
/// </summary>
public static class ReadApi
{
    public static void Map(RouteGroupBuilder read)
    {
        SweepsApi.MapReads(read);
        TrialsApi.Map(read);
    }
}
