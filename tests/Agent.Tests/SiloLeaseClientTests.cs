using System.Net;
using System.Text;
using YoloSweep.Agent;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Agent.Tests;

public class SiloLeaseClientTests
{
    /// <summary>Answers for each host as the test says: unreachable, 503, or "accepted".</summary>
    sealed class Silos(Dictionary<string, HttpStatusCode?> answers) : HttpMessageHandler
    {
        public readonly List<string> Asked = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var host = request.RequestUri!.Authority;
            lock (Asked) Asked.Add(host);
            if (answers[host] is not { } status) throw new HttpRequestException("Connection refused");
            return Task.FromResult(new HttpResponseMessage(status)
            {
                Content = new StringContent(status == HttpStatusCode.OK ? "{\"status\":\"accepted\"}" : "{\"error\":\"not ready\"}", Encoding.UTF8, "application/json"),
            });
        }
    }

    [Fact]
    public async Task A_report_goes_to_the_next_silo_while_one_is_unreachable_or_answers_503_and_stays_there()
    {
        var silos = new Silos(new() { ["a:1"] = null, ["b:1"] = HttpStatusCode.ServiceUnavailable, ["c:1"] = HttpStatusCode.OK });
        using var client = new SiloLeaseClient("http://a:1, http://b:1,http://c:1", "token-0123456789abcdef", silos);
        Assert.Equal(ReportStatus.Accepted, await client.RenewAsync("t", 1, default));
        Assert.Equal(["a:1", "b:1", "c:1"], silos.Asked);
        Assert.Equal(ReportStatus.Accepted, await client.RenewAsync("t", 1, default));
        Assert.Equal("c:1", silos.Asked[^1]); // the silo that answered is asked first next time
        Assert.Equal(4, silos.Asked.Count);
    }

    [Fact]
    public async Task When_no_silo_answers_the_error_surfaces_for_the_caller_to_retry()
    {
        var silos = new Silos(new() { ["a:1"] = null, ["b:1"] = null });
        using var client = new SiloLeaseClient("http://a:1,http://b:1", "token-0123456789abcdef", silos);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.RenewAsync("t", 1, default));
        Assert.Equal(2, silos.Asked.Count);
    }
}
