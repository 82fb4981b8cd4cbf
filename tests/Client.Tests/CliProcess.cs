using System.Diagnostics;
using System.Text;

namespace YoloSweep.Testing;

/// <summary>A built program run as a real process (dotnet yolosweep.dll …), as a user (or a trainer host) would.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "yolosweep.dll");
    public static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "yolosweep-worker.dll");

    readonly Process _process;
    readonly StringBuilder _out = new(), _err = new();
    readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    CliProcess(Process p) => _process = p;

    public int Id => _process.Id;
    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the CLI (or <paramref name="program"/>); environment entries with a null value are removed.</summary>
    public static CliProcess Start(string workDir, IEnumerable<string> args, IDictionary<string, string?>? env = null, string? program = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(program ?? Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var k in new[] { "YOLOSWEEP_SILO", "YOLOSWEEP_TOKEN", "YOLOSWEEP_TOKEN_FILE", "YOLOSWEEP_DB", "YOLOSWEEP_CLIENT_TOKEN", "YOLOSWEEP_CLIENT_TOKEN_FILE", "YOLOSWEEP_TRAINER_TOKEN", "YOLOSWEEP_TRAINER_TOKEN_FILE", "YOLOSWEEP_URLS", "YOLOSWEEP_DEVICES", "YOLOSWEEP_SHARED_DIR", "YOLOSWEEP_SILO_PORT", "YOLOSWEEP_GATEWAY_PORT" })
            psi.Environment.Remove(k);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cli = new CliProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (cli._out) cli._out.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (cli._err) cli._err.AppendLine(e.Data); };
        p.Exited += (_, _) => cli._exited.TrySetResult();
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs to the end (fails the test after <paramref name="timeout"/>): exit code, stdout, stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string workDir, IEnumerable<string> args, IDictionary<string, string?>? env = null,
        TimeSpan? timeout = null, string? program = null)
    {
        await using var p = Start(workDir, args, env, program);
        return (await p.WaitAsync(timeout ?? TimeSpan.FromSeconds(120)), p.Stdout, p.Stderr);
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"yolosweep {string.Join(' ', _process.StartInfo.ArgumentList.Skip(1))} did not finish in {timeout}\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit(); // flush the output readers
        return _process.ExitCode;
    }

    /// <summary>Closes our end of the child's stdin (what a dying parent does).</summary>
    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>kill -9 (SIGKILL) of this process only: its children are left to notice on their own.</summary>
    public void KillHard() => Process.Start("kill", ["-9", _process.Id.ToString()])!.WaitForExit();

    /// <summary>SIGTERM: a graceful stop.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();

    public ValueTask DisposeAsync()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
