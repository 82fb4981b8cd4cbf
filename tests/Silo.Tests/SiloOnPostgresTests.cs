using System.Net;
using YoloSweep.Contracts.Api;
using YoloSweep.Testing;
using static YoloSweep.Silo.Tests.SiloHarness;

namespace YoloSweep.Silo.Tests;

/// <summary>The Silo on a real PostgreSQL server that goes away and comes back.</summary>
public class SiloOnPostgresTests
{
    [Fact]
    public async Task Readiness_follows_the_database_and_requests_get_503_not_a_crash_while_it_is_down()
    {
        await using var pg = await PostgresServer.StartAsync();
        var db = pg.Url(await pg.CreateDatabaseAsync());
        await using var h = await StartAsync(o => o with { Db = db });
        Assert.Equal("ready", await h.Anonymous.GetStringAsync("/readyz"));
        Assert.Equal(HttpStatusCode.Created, (await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest("name: pg\nmatrix: { model: yolov5 }\n")))).StatusCode);

        await pg.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await h.Anonymous.GetAsync("/readyz")).StatusCode);
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz")); // alive, just not ready
        var down = await h.Client.GetAsync("/api/v1/sweeps");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains("database unavailable", (await Read<ErrorResponse>(down)).Error);

        await pg.StartAgainAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(await h.Anonymous.GetAsync("/readyz")).IsSuccessStatusCode && DateTime.UtcNow < deadline) await Task.Delay(100);
        var sweeps = await Read<List<SweepView>>(await h.Client.GetAsync("/api/v1/sweeps"));
        Assert.Equal(1, Assert.Single(sweeps).Total); // what was accepted before the outage is still there
    }
}
