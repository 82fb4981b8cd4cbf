using System.Diagnostics;
using System.Runtime.InteropServices;
using Serilog;

namespace YoloSweep.Trainer.Engine;

/// <summary>
/// A host-wide readers–writer lock between the processes that compute on one machine, so a latency measurement never
/// shares the CPU (or the GPU) with another trial's training: training holds it <b>shared</b> (re-taken at every epoch,
/// so a waiting measurement gets in between epochs), the latency step holds it <b>exclusive</b>. It is a
/// <c>flock(2)</c> on a well-known file (<see cref="DefaultPath"/>, or <c>YOLOSWEEP_HOST_LOCK</c>), so the kernel
/// drops it when a process dies however it dies. flock has no writer preference, and trainers whose epochs overlap
/// would keep a shared lock held for ever; hence a second file, the <i>turnstile</i> (<c>LOCK.turnstile</c>): a
/// shared taker passes through it (takes it exclusive, takes the shared lock, lets it go), an exclusive taker holds it
/// from before it starts waiting until it releases, so no new shared holder starts while it waits. Waits poll with
/// LOCK_NB (every <see cref="Poll"/>) so a cancellation ends them. Every acquisition opens its own descriptors, so two
/// threads of one process exclude each other as two processes do. Where the files cannot be opened (a read-only temp
/// folder, not Linux) it warns once and does not lock.
/// </summary>
public sealed class HostLock(string? path = null, ILogger? log = null)
{
    public const string PathVariable = "YOLOSWEEP_HOST_LOCK";

    /// <summary>YOLOSWEEP_HOST_LOCK when set, else yolosweep-host.lock in the temp folder.</summary>
    public static string DefaultPath =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p ? p : Path.Combine(Path.GetTempPath(), "yolosweep-host.lock");

    public string LockPath { get; } = Path.GetFullPath(path ?? DefaultPath);
    public string TurnstilePath => LockPath + ".turnstile";
    public TimeSpan Poll { get; init; } = TimeSpan.FromMilliseconds(25);

    readonly ILogger _log = log ?? Log.Logger;
    int _warned;

    /// <summary>Waits for the shared lock (through the turnstile); the hold releases it when disposed.</summary>
    public Hold Shared(CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var turnstile = Take(TurnstilePath, LOCK_EX, ct);
        try { return new Hold(Take(LockPath, LOCK_SH, ct), -1, exclusive: false, sw.Elapsed); }
        finally { Release(turnstile); }
    }

    /// <summary>Waits for the exclusive lock, holding the turnstile meanwhile (no new shared holder gets in); the hold
    /// releases both when disposed.</summary>
    public Hold Exclusive(CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        var turnstile = Take(TurnstilePath, LOCK_EX, ct);
        try { return new Hold(Take(LockPath, LOCK_EX, ct), turnstile, exclusive: true, sw.Elapsed); }
        catch { Release(turnstile); throw; }
    }

    /// <summary>An open descriptor of <paramref name="file"/> holding <paramref name="op"/>, or -1 when the file cannot
    /// be opened (warned once: no lock rather than no training).</summary>
    int Take(string file, int op, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var fd = Open(file);
        if (fd < 0) return -1;
        try
        {
            while (true)
            {
                if (flock(fd, op | LOCK_NB) == 0) return fd;
                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (EWOULDBLOCK or EINTR))
                {
                    Warn(file, $"flock failed (errno {errno})");
                    close(fd);
                    return -1;
                }
                if (ct.WaitHandle.WaitOne(Poll)) ct.ThrowIfCancellationRequested();
            }
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    int Open(string file)
    {
        if (!OperatingSystem.IsLinux())
        {
            Warn(file, "the host lock is implemented for Linux only");
            return -1;
        }
        try
        {
            var fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0x1B6 /* 0666, less the umask */);
            if (fd < 0) fd = open(file, O_RDONLY | O_CLOEXEC, 0);  // another user's file: a read-only descriptor locks too
            if (fd < 0) Warn(file, $"cannot open it (errno {Marshal.GetLastPInvokeError()})");
            return fd;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Warn(file, e.Message);
            return -1;
        }
    }

    void Warn(string file, string why)
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0)
            _log.Warning("Host lock {File}: {Why}; latency is measured without keeping other trials off the host", file, why);
    }

    static void Release(int fd)
    {
        if (fd >= 0) close(fd);  // closing the last descriptor of the open file releases its flock
    }

    /// <summary>A held lock (shared or exclusive) and how long it took to get.</summary>
    public sealed class Hold : IDisposable
    {
        int _fd, _turnstile;

        internal Hold(int fd, int turnstile, bool exclusive, TimeSpan waited) =>
            (_fd, _turnstile, Exclusive, Waited) = (fd, turnstile, exclusive, waited);

        public bool Exclusive { get; }
        public TimeSpan Waited { get; }
        /// <summary>False when the lock file could not be used and nothing is held.</summary>
        public bool Locked => _fd >= 0;

        public void Dispose()
        {
            Release(Interlocked.Exchange(ref _fd, -1));
            Release(Interlocked.Exchange(ref _turnstile, -1));
        }
    }

    const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;
    const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;  // Linux (x86-64 and arm64)
    const int EINTR = 4, EWOULDBLOCK = 11;

    [DllImport("libc", SetLastError = true)]
    static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    static extern int flock(int fd, int operation);

    [DllImport("libc", SetLastError = true)]
    static extern int close(int fd);
}
