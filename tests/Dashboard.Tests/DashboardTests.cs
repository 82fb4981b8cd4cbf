using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;
using YoloSweep.Testing;

namespace YoloSweep.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser over a finished run: the leaderboard's rows, sorting (numbers as numbers) and
/// filtering, a table that does not wrap at 1,400 px, every chart drawn (data in its series, paint on its canvas),
/// the trial pages (curves, artefacts, log, a failed trial's error), the page living through a server that goes
/// away and comes back, the Silo serving the same pages behind the client token; and no console errors anywhere.
/// Screenshots of each page go to screenshots/ in the test output folder.
/// </summary>
public sealed class DashboardTests(DashboardFixture run, ITestOutputHelper output) : IClassFixture<DashboardFixture>
{
    static readonly PageWaitForFunctionOptions Patience = new() { Timeout = 30_000, PollingInterval = 100 };

    const string ChartsJs = """
        () => [...document.querySelectorAll('[data-chart]')].map(el => {
          const inst = echarts.getInstanceByDom(el);
          const series = inst ? inst.getOption().series : [];
          const points = series.reduce((a, s) => a + (s.data ? s.data.length : 0), 0);
          const c = el.querySelector('canvas');
          let painted = 0;
          if (c && c.width && c.height) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
          }
          return { id: el.id || el.dataset.metric || '', kind: el.dataset.chart, points, fraction: c ? painted / (c.width * c.height) : 0 };
        })
        """;

    /// <summary>Every chart on the page has data and paint; returns them by kind.</summary>
    async Task<Dictionary<string, List<string>>> AssertChartsDrawnAsync(IPage page)
    {
        var charts = (await page.EvaluateAsync<JsonElement>(ChartsJs)).EnumerateArray().ToList();
        Assert.NotEmpty(charts);
        foreach (var c in charts)
        {
            var id = c.GetProperty("id").GetString();
            output.WriteLine($"chart {c.GetProperty("kind").GetString()} {id}: {c.GetProperty("points").GetInt32()} points, {c.GetProperty("fraction").GetDouble():P1} painted");
            Assert.True(c.GetProperty("points").GetInt32() > 0, $"chart {id} has no data");
            Assert.True(c.GetProperty("fraction").GetDouble() > 0.01, $"chart {id} is blank");
        }
        return charts.GroupBy(c => c.GetProperty("kind").GetString()!).ToDictionary(g => g.Key, g => g.Select(c => c.GetProperty("id").GetString()!).ToList());
    }

    static async Task<List<string>> ColumnAsync(IPage page, string key) =>
        (await page.EvaluateAsync<string[]>("""
            key => { const i = [...document.querySelectorAll('#board thead th')].findIndex(t => t.dataset.key === key);
                     return [...document.querySelectorAll('#board tbody tr')].map(tr => tr.cells[i].textContent.trim()); }
            """, key)).ToList();

    static double Number(string cell) =>
        double.Parse(System.Text.RegularExpressions.Regex.Match(cell.Replace('−', '-'), @"[-+]?\d+(\.\d+)?").Value, CultureInfo.InvariantCulture);

    async Task ShotAsync(IPage page, string name)
    {
        var path = Path.Combine(run.Screenshots, name + ".png");
        await page.EvaluateAsync("() => window.scrollTo(0, 0)"); // a sticky header would show mid-page otherwise
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine("screenshot " + path);
    }

    static void NoErrors(List<string> errors)
    {
        lock (errors) Assert.True(errors.Count == 0, "console errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task The_dashboard_shows_the_leaderboard_sorts_filters_and_draws_every_chart()
    {
        var (page, errors) = await run.OpenAsync(run.Url + "/?sweep=dash");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#board tbody tr').length === {DashboardFixture.DashConfigurations} && document.querySelector('#curves .chart')", null, Patience);
        await page.WaitForFunctionAsync("() => document.querySelector('#conn').classList.contains('ok')", null, Patience);

        // The sweep selector knows every sweep of the database; the counts are the sweep's.
        Assert.Equal(["broken", "dash", "real"], (await page.Locator("#sweep option").EvaluateAllAsync<string[]>("os => os.map(o => o.value)")).Order());
        Assert.Equal("dash", await page.InputValueAsync("#sweep"));
        Assert.Equal(DashboardFixture.DashTrials.ToString(), await page.Locator("#counts [data-state=succeeded] b").TextContentAsync());
        Assert.Equal("0", await page.Locator("#counts [data-state=failed] b").TextContentAsync());
        Assert.Equal("0", await page.Locator("#counts [data-state=pending] b").TextContentAsync());
        Assert.Equal("0", await page.Locator("#counts [data-state=running] b").TextContentAsync());

        // Ranked by mAP50-95 as the server ranked them; every row has its seeds and numbers.
        Assert.Equal(Enumerable.Range(1, DashboardFixture.DashConfigurations).Select(i => i.ToString()), await ColumnAsync(page, "rank"));
        Assert.All(await ColumnAsync(page, "seeds"), s => Assert.Equal("3", s));
        Assert.Contains("yolov5-c3faster", await ColumnAsync(page, "model"));

        // Nothing wraps at 1,400 px: every row is one line, and the table fits its box.
        var layout = await page.EvaluateAsync<JsonElement>("""
            () => { const rows = [...document.querySelectorAll('#board tbody tr')].map(r => r.getBoundingClientRect().height);
                    const wrap = document.querySelector('#leaderboard-section .table-wrap');
                    return { min: Math.min(...rows), max: Math.max(...rows), scroll: wrap.scrollWidth, client: wrap.clientWidth }; }
            """);
        output.WriteLine("leaderboard layout: " + layout);
        await ShotAsync(page, "dashboard");
        Assert.True(layout.GetProperty("max").GetDouble() - layout.GetProperty("min").GetDouble() < 1, "leaderboard rows differ in height (a cell wraps)");
        Assert.True(layout.GetProperty("max").GetDouble() < 30, "a leaderboard row is taller than one line");
        Assert.True(layout.GetProperty("scroll").GetDouble() <= layout.GetProperty("client").GetDouble(), "the leaderboard is wider than the page at 1,400 px");

        var charts = await AssertChartsDrawnAsync(page);
        Assert.Equal(2, charts["pareto"].Count);
        Assert.Superset(new HashSet<string> { "map50_95", "map50", "loss/box", "loss/cls", "loss/dfl" }, charts["curve"].ToHashSet());
        Assert.Equal(DashboardFixture.DashConfigurations, await page.Locator("#curve-legend label").CountAsync());
        Assert.Equal(2, charts["knob"].Count); // pconv.n_div (3 values) and dsconv.block_size (2)

        // Sorting: numbers numerically, both ways; text too.
        await page.ClickAsync("#board th[data-key=gflops]");
        Assert.Equal("ascending", await page.GetAttributeAsync("#board th[data-key=gflops]", "aria-sort"));
        var gflops = (await ColumnAsync(page, "gflops")).Select(Number).ToList();
        Assert.Equal(gflops.Order(), gflops);
        Assert.True(gflops.Distinct().Count() > 1);
        await page.ClickAsync("#board th[data-key=map50_95]");
        await page.ClickAsync("#board th[data-key=map50_95]");
        Assert.Equal("descending", await page.GetAttributeAsync("#board th[data-key=map50_95]", "aria-sort"));
        var map = (await ColumnAsync(page, "map50_95")).Select(Number).ToList();
        Assert.Equal(map.OrderDescending(), map);
        await page.ClickAsync("#board th[data-key=model]");
        var models = await ColumnAsync(page, "model");
        Assert.Equal(models.Order(StringComparer.Ordinal), models);

        // Filtering: every term must match; the count says how many are left.
        await page.FillAsync("#filter", "c3faster");
        Assert.All(await ColumnAsync(page, "model"), m => Assert.Equal("yolov5-c3faster", m));
        Assert.Equal(3, (await ColumnAsync(page, "model")).Count);
        Assert.Equal($"3 of {DashboardFixture.DashConfigurations}", await page.TextContentAsync("#board-count"));
        await page.FillAsync("#filter", "c3faster n_div=4");
        Assert.Equal(["pconv.n_div=4"], (await ColumnAsync(page, "knobs")).Select(k => k.Split(' ').First(x => x.StartsWith("pconv.n_div"))));
        await page.FillAsync("#filter", "no-such-model");
        Assert.Equal("no row matches the filter", await page.TextContentAsync("#board tbody td"));
        await page.FillAsync("#filter", "");
        Assert.Equal(DashboardFixture.DashConfigurations, (await ColumnAsync(page, "model")).Count);

        // Another sweep: its counts, its (empty) leaderboard, its failed trials with their errors.
        await page.SelectOptionAsync("#sweep", "broken");
        await page.WaitForFunctionAsync("() => document.querySelector('#counts [data-state=failed] b')?.textContent === '3'", null, Patience);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#trials tbody tr').length === 3 && document.querySelector('#trials td.err')?.textContent.includes('simulated crash')", null, Patience);
        // Its one configuration has no succeeded seed and three failed ones.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#board tbody tr').length === 1", null, Patience);
        Assert.Equal(["3"], await ColumnAsync(page, "failed"));
        Assert.Equal(["0"], await ColumnAsync(page, "seeds"));
        Assert.Contains("?sweep=broken", page.Url);
        await ShotAsync(page, "dashboard-broken");

        // A trial page from the trials table.
        await page.SelectOptionAsync("#sweep", "dash");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#trials tbody tr a').length === {DashboardFixture.DashTrials}", null, Patience);
        var first = await page.Locator("#trials tbody tr a").First.TextContentAsync();
        await page.Locator("#trials tbody tr a").First.ClickAsync();
        await page.WaitForURLAsync("**/trial.html?id=" + first);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#curves [data-chart]').length === 3 && document.querySelector('#spec').textContent.includes('\"model\"')", null, Patience);
        Assert.Equal(first, await page.TextContentAsync("#trial-id"));
        Assert.Equal("succeeded", await page.TextContentAsync("#trial-state"));
        Assert.True(await page.IsHiddenAsync("#error-section"));
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#files li').length > 0", null, Patience);
        Assert.Contains("metrics.json", await page.TextContentAsync("#files"));
        await page.ClickAsync("#files a[data-name='metrics.json']");
        await page.WaitForFunctionAsync("() => document.querySelector('#file-view').textContent.includes('map50_95')", null, Patience);
        await AssertChartsDrawnAsync(page);
        await ShotAsync(page, "trial-simulated");
        NoErrors(errors);
    }

    [Fact]
    public async Task The_trial_page_of_a_real_training_shows_its_curves_artefacts_and_log()
    {
        var (page, errors) = await run.OpenAsync(run.Url + "/trial.html?id=" + run.RealTrial);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#curves [data-chart]').length === 3", null, Patience);
        // The images, fetched with the API and shown: the PR curve among them.
        await page.WaitForFunctionAsync("""
            () => { const imgs = [...document.querySelectorAll('#gallery img')];
                    return imgs.length >= 5 && imgs.every(i => i.complete && i.naturalWidth > 0); }
            """, null, Patience);
        var images = await page.Locator("#gallery figure").EvaluateAllAsync<string[]>("fs => fs.map(f => f.dataset.name)");
        output.WriteLine("images: " + string.Join(", ", images));
        Assert.Equal("PR_curve.png", images[0]);
        Assert.Contains("results.png", images);
        Assert.Contains("confusion_matrix.png", images);
        Assert.DoesNotContain(images, i => i.EndsWith(".safetensors"));
        await page.WaitForFunctionAsync("() => document.querySelector('#log').textContent.includes('Epoch 2/2')", null, Patience);
        Assert.Contains("args.yaml", await page.TextContentAsync("#files"));
        var charts = await AssertChartsDrawnAsync(page);
        Assert.Equal(3, charts["curve"].Count);
        // The losses chart has the validation losses next to the training ones.
        var losses = await page.EvaluateAsync<string[]>("() => echarts.getInstanceByDom(document.querySelector('#curve-losses')).getOption().series.map(s => s.name)");
        Assert.Contains("box_loss", losses);
        Assert.Contains("val/box_loss", losses);
        await ShotAsync(page, "trial-real");
        NoErrors(errors);

        var (failed, failedErrors) = await run.OpenAsync(run.Url + "/trial.html?id=" + run.FailedTrial);
        await failed.WaitForFunctionAsync("() => !document.querySelector('#error-section').hidden", null, Patience);
        Assert.Contains("simulated crash at epoch 2", await failed.TextContentAsync("#error"));
        Assert.Equal("failed", await failed.TextContentAsync("#trial-state"));
        await failed.WaitForFunctionAsync("() => document.querySelectorAll('#events tbody tr').length > 0", null, Patience);
        await ShotAsync(failed, "trial-failed");
        NoErrors(failedErrors);
    }

    [Fact]
    public async Task The_page_says_disconnected_while_the_server_is_away_and_recovers_by_itself()
    {
        var port = DashboardFixture.FreePort();
        var (server, url) = await run.StartDashboardAsync(port);
        var (page, errors) = await run.OpenAsync(url + "/?sweep=dash");
        try
        {
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('#board tbody tr').length === {DashboardFixture.DashConfigurations}", null, Patience);
            server.KillHard();
            await server.WaitAsync(TimeSpan.FromSeconds(10));
            await page.WaitForFunctionAsync("() => document.querySelector('#conn').textContent.startsWith('disconnected, retrying')", null, Patience);
            // The last data stays on the page.
            Assert.Equal(DashboardFixture.DashConfigurations, await page.Locator("#board tbody tr").CountAsync());
            Assert.Equal(DashboardFixture.DashTrials.ToString(), await page.Locator("#counts [data-state=succeeded] b").TextContentAsync());
            await ShotAsync(page, "disconnected");

            await server.DisposeAsync();
            (server, _) = await run.StartDashboardAsync(port);
            await page.WaitForFunctionAsync("() => document.querySelector('#conn').classList.contains('ok')", null, Patience);
            Assert.Equal(DashboardFixture.DashConfigurations, await page.Locator("#board tbody tr").CountAsync());
        }
        finally
        {
            await server.DisposeAsync();
        }
        // The browser reports each refused connection; nothing else may go wrong.
        lock (errors) errors.RemoveAll(e => e.StartsWith("console: Failed to load resource: net::ERR_CONNECTION_REFUSED"));
        NoErrors(errors);
    }

    [Fact]
    public async Task The_silo_serves_the_same_pages_behind_the_client_token()
    {
        const string clientToken = "client-token-0123456789", trainerToken = "trainer-token-0123456789";
        var copy = Path.Combine(run.Dir, "silo-copy.db");
        File.Copy(run.Db, copy, overwrite: true);
        await using var silo = await Silo.SiloApp.StartAsync(new Silo.SiloOptions
        {
            Db = copy, ClientToken = clientToken, TrainerToken = trainerToken, Urls = "http://127.0.0.1:0", SiloPort = 0,
            LogToConsole = false, LogFile = Path.Combine(run.Dir, "silo.log"), SharedDir = run.Shared, Dashboard = false,
        });

        // Without the token the page says what it needs and shows no data.
        var (page, errors) = await run.OpenAsync(silo.BaseUrl + "/");
        await page.WaitForFunctionAsync("() => document.querySelector('#conn').classList.contains('auth')", null, Patience);
        Assert.True(await page.IsVisibleAsync("#token"));
        await ShotAsync(page, "silo-without-token");
        lock (errors) errors.RemoveAll(e => e.Contains("401"));
        NoErrors(errors);

        // With #token=… once: the data, and the token out of the address bar (kept in localStorage).
        var (withToken, tokenErrors) = await run.OpenAsync(silo.BaseUrl + "/?sweep=dash#token=" + clientToken);
        await withToken.WaitForFunctionAsync($"() => document.querySelectorAll('#board tbody tr').length === {DashboardFixture.DashConfigurations}", null, Patience);
        Assert.DoesNotContain(clientToken, withToken.Url);
        Assert.Equal(clientToken, await withToken.EvaluateAsync<string>("() => localStorage.getItem('ysToken')"));
        await AssertChartsDrawnAsync(withToken);
        var response = await withToken.GotoAsync(silo.BaseUrl + "/trial.html?id=" + run.RealTrial);
        Assert.Contains("script-src 'self';", response!.Headers["content-security-policy"]);
        await withToken.WaitForFunctionAsync("() => { const i = [...document.querySelectorAll('#gallery img')]; return i.length >= 5 && i.every(x => x.complete && x.naturalWidth > 0); }", null, Patience);
        NoErrors(tokenErrors);
    }
}
