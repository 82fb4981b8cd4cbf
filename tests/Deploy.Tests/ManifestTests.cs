using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

/// <summary>The rendered overlays against the application: ports, probes, images, GPUs, replicas, storage, policy.</summary>
public class ManifestTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Deployable];

    /// <summary>Images k8s/ runs that are not ours, and why.</summary>
    static readonly Dictionary<string, string> ThirdPartyImages = new()
    {
        ["postgres"] = "the bundled database (k8s/base/postgres.yaml); a managed database replaces it",
    };

    // The port a probe or Service names, resolved against the container's named ports.
    static string ResolvePort(Dictionary<string, object?> container, string? port) =>
        Maps(container, "ports").FirstOrDefault(p => Str(p, "name") == port) is { } named ? Str(named, "containerPort")! : port!;

    [Theory, MemberData(nameof(Overlays))]
    public void The_silo_listens_probes_and_is_served_on_one_port(string overlay)
    {
        var cluster = Rendered.Of(overlay);
        var silo = Workload.Silo.ContainerIn(cluster);
        var port = ResolvePort(silo, "http");

        // YOLOSWEEP_URLS is where the Silo listens: it must be the container port, on every interface.
        var urls = ContainerEnvironment.Of(silo, cluster, [])["YOLOSWEEP_URLS"];
        Assert.Equal($"http://0.0.0.0:{port}", urls);

        Assert.Equal("/readyz", Str(silo, "readinessProbe", "httpGet", "path"));
        Assert.Equal("/healthz", Str(silo, "livenessProbe", "httpGet", "path"));
        Assert.Equal(port, ResolvePort(silo, Str(silo, "readinessProbe", "httpGet", "port")));
        Assert.Equal(port, ResolvePort(silo, Str(silo, "livenessProbe", "httpGet", "port")));

        var service = Rendered.Find(cluster, "Service", "silo");
        var servicePort = Assert.Single(Maps(service, "spec", "ports"));
        Assert.Equal(port, ResolvePort(silo, Str(servicePort, "targetPort")));
        Assert.True(Selects(Map(service, "spec", "selector")!, Workload.Silo.Object(cluster)), "Service/silo does not select the Silo pods");

        // Trainers and clients reach the Silo through that Service.
        var silosUrl = $"http://silo:{Str(servicePort, "port")}";
        Assert.Equal(silosUrl, ContainerEnvironment.Of(Workload.Trainer.ContainerIn(cluster), cluster, [])["YOLOSWEEP_SILO"]);
        var withJob = Workload.Cli.Cluster(overlay);
        Assert.Equal(silosUrl, ContainerEnvironment.Of(Workload.Cli.ContainerIn(withJob), withJob, [])["YOLOSWEEP_SILO"]);
    }

    /// <summary>Becomes meaningful once src/Silo maps its health endpoints (the merge of the Silo's branch):
    /// until then src/Silo has no such literal and this fails, by design.</summary>
    [Fact]
    public void The_probe_paths_are_endpoints_of_the_silo()
    {
        var probes = Rendered.Deployable.SelectMany(o => new[]
        {
            Str(Workload.Silo.ContainerIn(Rendered.Of(o)), "readinessProbe", "httpGet", "path")!,
            Str(Workload.Silo.ContainerIn(Rendered.Of(o)), "livenessProbe", "httpGet", "path")!,
        }).Distinct();
        foreach (var path in probes)
            Assert.True(AppSource.HasLiteral("src/Silo", path),
                $"k8s/base/silo.yaml probes \"{path}\", but no .cs file under src/Silo has the literal \"{path}\" " +
                "(expected e.g. app.MapGet(\"" + path + "\", ...)): map the endpoint in the Silo or fix the probe.");
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_image_is_built_by_deploy_or_is_a_named_third_party_image(string overlay)
    {
        foreach (var o in Rendered.WithSubmitJob(overlay))
            foreach (var c in Kustomize.Containers(o))
            {
                var (name, tag) = Kustomize.SplitImage(Str(c, "image")!);
                if (ThirdPartyImages.ContainsKey(name)) continue;
                Assert.True(tag != null, $"{Str(o, "kind")}/{Str(o, "metadata", "name")}: image {name} has no tag; overlays set one");
                Assert.True(ImageOfDeploy(name) != null,
                    $"{Str(o, "kind")}/{Str(o, "metadata", "name")} runs image {name}, which is neither yolosweep/<name> " +
                    "with a deploy/<name>/Dockerfile nor listed in ThirdPartyImages");
            }
    }

    /// <summary>[registry/]yolosweep/NAME → NAME when deploy/NAME/Dockerfile exists (deploy/build-images.sh names them so).</summary>
    static string? ImageOfDeploy(string repository)
    {
        var parts = repository.Split('/');
        if (parts.Length < 2 || parts[^2] != "yolosweep") return null;
        return File.Exists(Repo.PathOf($"deploy/{parts[^1]}/Dockerfile")) ? parts[^1] : null;
    }

    [Theory]
    [InlineData(Rendered.Gpu, "trainer-cuda")]
    [InlineData(Rendered.Dev, "trainer-cpu")]
    public void Each_program_runs_from_its_image_with_its_CLI_verb(string overlay, string trainerImage)
    {
        var cluster = Rendered.WithSubmitJob(overlay);
        string ImageOf(Workload w) => ImageOfDeploy(Kustomize.SplitImage(Str(w.ContainerIn(cluster), "image")!).Name)!;
        List<string> Args(Workload w) => List(w.ContainerIn(cluster), "args").Cast<string>().ToList();

        Assert.Equal("silo", ImageOf(Workload.Silo));
        Assert.Equal(["silo"], Args(Workload.Silo));
        Assert.Equal(trainerImage, ImageOf(Workload.Trainer));
        Assert.Equal(["trainer", "--silo", "$(YOLOSWEEP_SILO)", "--devices", "$(YOLOSWEEP_DEVICES)"], Args(Workload.Trainer));
        // The submit Job uses the Silo's image, which carries the whole CLI.
        Assert.Equal("silo", ImageOf(Workload.Cli));
        Assert.Equal(["submit", "/sweep/sweep.yaml", "--silo", "$(YOLOSWEEP_SILO)"], Args(Workload.Cli));
        var job = Workload.Cli.Object(cluster);
        var sweepMount = Maps(Workload.Cli.ContainerIn(cluster), "volumeMounts").Single(m => Str(m, "mountPath") == "/sweep");
        var sweepVolume = Maps(Kustomize.PodSpec(job), "volumes").Single(v => Str(v, "name") == Str(sweepMount, "name"));
        Assert.True(ContainerEnvironment.DataOf(cluster, "ConfigMap", Str(sweepVolume, "configMap", "name")!)!.ContainsKey("sweep.yaml"));
    }

    [Fact]
    public void Gpu_trainers_take_every_GPU_of_GPU_nodes_only()
    {
        var cluster = Rendered.Of(Rendered.Gpu);
        var ds = Workload.Trainer.Object(cluster);
        var trainer = Workload.Trainer.ContainerIn(cluster);
        var gpus = int.Parse(Str(trainer, "resources", "limits", "nvidia.com/gpu") ?? "0");
        Assert.True(gpus >= 1, "trainers have no nvidia.com/gpu limit");
        Assert.Equal("true", Str(Kustomize.PodSpec(ds), "nodeSelector", "nvidia.com/gpu.present"));
        Assert.Contains(Maps(Kustomize.PodSpec(ds), "tolerations"), t => Str(t, "key") == "nvidia.com/gpu" && Str(t, "effect") == "NoSchedule");
        // The trainer CLI has no "all" and detects no GPUs: it offers exactly the CUDA indices it is given, which must
        // be the pod's GPUs, numbered 0..N-1 in the container (change both in k8s/overlays/gpu/trainer-gpus.yaml).
        Assert.Equal(string.Join(",", Enumerable.Range(0, gpus)), ContainerEnvironment.Of(trainer, cluster, [])["YOLOSWEEP_DEVICES"]);
        // NCCL and data loaders need more shared memory than a container's 64 MiB default.
        var shm = Maps(trainer, "volumeMounts").Single(m => Str(m, "mountPath") == "/dev/shm");
        Assert.Equal("Memory", Str(Maps(Kustomize.PodSpec(ds), "volumes").Single(v => Str(v, "name") == Str(shm, "name")), "emptyDir", "medium"));
    }

    [Fact]
    public void Dev_trainers_run_on_cpu_nodes()
    {
        var cluster = Rendered.Of(Rendered.Dev);
        var trainer = Workload.Trainer.ContainerIn(cluster);
        Assert.Null(Str(trainer, "resources", "limits", "nvidia.com/gpu"));
        Assert.Null(Get(Kustomize.PodSpec(Workload.Trainer.Object(cluster)), "nodeSelector"));
        Assert.Equal("cpu", ContainerEnvironment.Of(trainer, cluster, [])["YOLOSWEEP_DEVICES"]);
    }

    [Theory]
    [InlineData(Rendered.Gpu, 2)]
    [InlineData(Rendered.Dev, 1)]
    public void The_silo_is_replicated_in_the_gpu_overlay_and_spread_over_nodes(string overlay, int replicas)
    {
        var cluster = Rendered.Of(overlay);
        var silo = Workload.Silo.Object(cluster);
        if (overlay == Rendered.Gpu) Assert.True(int.Parse(Str(silo, "spec", "replicas")!) >= replicas);
        else Assert.Equal(replicas.ToString(), Str(silo, "spec", "replicas"));
        var term = Assert.Single(Maps(silo, "spec", "template", "spec", "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"));
        Assert.Equal("kubernetes.io/hostname", Str(term, "podAffinityTerm", "topologyKey"));
        Assert.True(Selects(Map(term, "podAffinityTerm", "labelSelector", "matchLabels")!, silo));
        if (overlay == Rendered.Gpu)
            Assert.True(Selects(Map(Rendered.Find(cluster, "PodDisruptionBudget", "silo"), "spec", "selector", "matchLabels")!, silo));
        else // one replica: a budget of minAvailable 1 would block every node drain
            Assert.DoesNotContain(cluster, o => Str(o, "kind") == "PodDisruptionBudget");
    }

    /// <summary>A budget never blocks node drains: it always leaves at least one pod of what it selects evictable.</summary>
    [Theory, MemberData(nameof(Overlays))]
    public void Disruption_budgets_leave_a_pod_evictable(string overlay)
    {
        var cluster = Rendered.Of(overlay);
        foreach (var pdb in cluster.Where(o => Str(o, "kind") == "PodDisruptionBudget"))
        {
            var name = $"{overlay}: PodDisruptionBudget/{Str(pdb, "metadata", "name")}";
            var selected = cluster.Where(o => Str(o, "kind") is "Deployment" or "StatefulSet" &&
                                              Selects(Map(pdb, "spec", "selector", "matchLabels")!, o)).ToList();
            var workload = Assert.Single(selected);
            var replicas = int.Parse(Str(workload, "spec", "replicas") ?? "1");
            if (Str(pdb, "spec", "minAvailable") is { } min)
                Assert.True(int.TryParse(min, out var m) && m < replicas, $"{name}: minAvailable {min} of {replicas} replica(s) blocks drains");
            else
                Assert.True(int.TryParse(Str(pdb, "spec", "maxUnavailable"), out var u) && u >= 1, $"{name}: maxUnavailable must be at least 1");
        }
    }

    /// <summary>The silos form one Orleans cluster: each advertises its pod IP and name (downward API) and listens
    /// for other silos on the port the configuration names; the Service exposes only the HTTP API.</summary>
    [Theory, MemberData(nameof(Overlays))]
    public void Silos_form_an_Orleans_cluster_on_their_pod_addresses(string overlay)
    {
        var cluster = Rendered.Of(overlay);
        var silo = Workload.Silo.ContainerIn(cluster);
        var env = ContainerEnvironment.Of(silo, cluster, []);
        Assert.Equal(ResolvePort(silo, "silo"), env["YOLOSWEEP_SILO_PORT"]);
        Assert.False(string.IsNullOrEmpty(env["YOLOSWEEP_CLUSTER_ID"]));
        Assert.False(string.IsNullOrEmpty(env["YOLOSWEEP_SERVICE_ID"]));
        foreach (var (name, field) in new[] { ("POD_IP", "status.podIP"), ("POD_NAME", "metadata.name") })
        {
            var e = Maps(silo, "env").Single(e => Str(e, "name") == name);
            Assert.Equal(field, Str(e, "valueFrom", "fieldRef", "fieldPath"));
            Assert.True(AppSource.HasLiteral("src/Silo", name), $"src/Silo does not read {name}");
        }
        var service = Rendered.Find(cluster, "Service", "silo");
        Assert.DoesNotContain(Maps(service, "spec", "ports"), p => ResolvePort(silo, Str(p, "targetPort")) == ResolvePort(silo, "silo"));
    }

    /// <summary>Kubernetes waits longer than a silo needs to hand its grains over (its host shutdown timeout).</summary>
    [Theory, MemberData(nameof(Overlays))]
    public void The_grace_period_outlasts_the_silos_shutdown(string overlay)
    {
        var shutdown = System.Text.RegularExpressions.Regex.Match(Repo.Read("src/Silo/SiloApp.cs"), @"ShutdownTimeout = TimeSpan\.FromSeconds\((\d+)\)");
        Assert.True(shutdown.Success, "src/Silo/SiloApp.cs no longer sets HostOptions.ShutdownTimeout in seconds");
        var grace = Str(Workload.Silo.Object(Rendered.Of(overlay)), "spec", "template", "spec", "terminationGracePeriodSeconds");
        Assert.NotNull(grace);
        Assert.True(int.Parse(grace!) >= int.Parse(shutdown.Groups[1].Value) + 10, $"terminationGracePeriodSeconds {grace} leaves the silo's {shutdown.Groups[1].Value} s shutdown no margin");
    }

    [Theory, MemberData(nameof(Overlays))]
    public void PostgreSQL_keeps_its_data_on_a_volume_claim(string overlay)
    {
        var cluster = Rendered.Of(overlay);
        var sts = Rendered.Find(cluster, "StatefulSet", "postgres");
        var claim = Assert.Single(Maps(sts, "spec", "volumeClaimTemplates"));
        Assert.NotNull(Str(claim, "spec", "resources", "requests", "storage"));
        var postgres = Rendered.Container(sts, "postgres");
        var mount = Maps(postgres, "volumeMounts").Single(m => Str(m, "name") == Str(claim, "metadata", "name"));
        var pgdata = ContainerEnvironment.Of(postgres, cluster, [])["PGDATA"];
        Assert.StartsWith(Str(mount, "mountPath")! + "/", pgdata);
        var service = Rendered.Find(cluster, "Service", "postgres");
        Assert.Equal(Str(service, "metadata", "name"), Str(sts, "spec", "serviceName"));
        Assert.True(Selects(Map(service, "spec", "selector")!, sts));
    }

    [Theory]
    [InlineData(Rendered.Gpu, "ReadWriteMany")]
    [InlineData(Rendered.Dev, "ReadWriteOnce")] // one node: see k8s/overlays/dev/small-resources.yaml
    public void Trainers_share_one_volume_at_the_shared_dir(string overlay, string accessMode)
    {
        var cluster = Rendered.WithSubmitJob(overlay);
        Assert.Equal([accessMode], List(Rendered.Find(cluster, "PersistentVolumeClaim", "shared"), "spec", "accessModes").Cast<string>());
        var trainer = Workload.Trainer.ContainerIn(cluster);
        var sharedDir = ContainerEnvironment.Of(trainer, cluster, [])["YOLOSWEEP_SHARED_DIR"];
        foreach (var w in new[] { Workload.Trainer, Workload.Cli })
        {
            var mount = Maps(w.ContainerIn(cluster), "volumeMounts").Single(m => Str(m, "mountPath") == sharedDir);
            var volume = Maps(Kustomize.PodSpec(w.Object(cluster)), "volumes").Single(v => Str(v, "name") == Str(mount, "name"));
            Assert.Equal("shared", Str(volume, "persistentVolumeClaim", "claimName"));
        }
        // The example sweep's dataset is on that volume: a path relative to the shared folder (sweeps may not reach
        // outside it), or an absolute one inside it.
        var sweep = (string)ContainerEnvironment.DataOf(cluster, "ConfigMap", "sweep")!["sweep.yaml"]!;
        var data = Str(Yaml.LoadDocuments(sweep, "sweep.yaml").Single(), "data")!;
        Assert.True(data.StartsWith(sharedDir + "/") || (!data.StartsWith('/') && !data.Split('/').Contains("..")), $"the example sweep's data '{data}' is not inside {sharedDir}");
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Only_trainers_and_clients_reach_the_silo_and_only_the_silo_reaches_postgres(string overlay)
    {
        var cluster = Rendered.WithSubmitJob(overlay);
        var siloPolicy = Rendered.Find(cluster, "NetworkPolicy", "silo");
        Assert.True(Selects(Map(siloPolicy, "spec", "podSelector", "matchLabels")!, Workload.Silo.Object(cluster)));
        var rule = Assert.Single(Maps(siloPolicy, "spec", "ingress"), r => Maps(r, "ports").Any(p => Str(p, "port") == ResolvePort(Workload.Silo.ContainerIn(cluster), "http")));
        // Pods of this namespace only: no namespaceSelector or ipBlock opens it wider.
        Assert.All(Maps(rule, "from"), f => Assert.Equal(["podSelector"], f.Keys));
        var from = Maps(rule, "from").Select(f => Map(f, "podSelector", "matchLabels")!).ToList();
        foreach (var w in new[] { Workload.Trainer, Workload.Cli })
            Assert.True(from.Any(f => Selects(f, w.Object(cluster))), $"NetworkPolicy/silo does not let {w} in");
        Assert.False(from.Any(f => Selects(f, Rendered.Find(cluster, "StatefulSet", "postgres"))), "NetworkPolicy/silo lets PostgreSQL in");
        var siloContainer = Workload.Silo.ContainerIn(cluster);
        Assert.Equal([ResolvePort(siloContainer, "http")], Maps(rule, "ports").Select(p => Str(p, "port")));
        // The Orleans port: silo pods only (it is no authentication boundary).
        var orleans = Assert.Single(Maps(siloPolicy, "spec", "ingress"), r => Maps(r, "ports").Any(p => Str(p, "port") == ResolvePort(siloContainer, "silo")));
        Assert.Equal([ResolvePort(siloContainer, "silo")], Maps(orleans, "ports").Select(p => Str(p, "port")));
        var orleansFrom = Assert.Single(Maps(orleans, "from"));
        Assert.Equal(["podSelector"], orleansFrom.Keys);
        Assert.True(Selects(Map(orleansFrom, "podSelector", "matchLabels")!, Workload.Silo.Object(cluster)));
        foreach (var w in new[] { Workload.Trainer, Workload.Cli })
            Assert.False(Selects(Map(orleansFrom, "podSelector", "matchLabels")!, w.Object(cluster)), $"NetworkPolicy/silo lets {w} reach the Orleans port");

        var pgPolicy = Rendered.Find(cluster, "NetworkPolicy", "postgres");
        Assert.True(Selects(Map(pgPolicy, "spec", "podSelector", "matchLabels")!, Rendered.Find(cluster, "StatefulSet", "postgres")));
        var pgFrom = Maps(Assert.Single(Maps(pgPolicy, "spec", "ingress")), "from").Select(f => Map(f, "podSelector", "matchLabels")!).ToList();
        Assert.Contains(pgFrom, f => Selects(f, Workload.Silo.Object(cluster)));
        Assert.DoesNotContain(pgFrom, f => Selects(f, Workload.Trainer.Object(cluster)) || Selects(f, Workload.Cli.Object(cluster)));
    }

    /// <summary>Whether matchLabels selects the pods of a workload (its pod template's labels).</summary>
    static bool Selects(Dictionary<string, object?> matchLabels, Dictionary<string, object?> workload)
    {
        var labels = Map(workload, "spec", "template", "metadata", "labels") ?? [];
        return matchLabels.All(kv => labels.TryGetValue(kv.Key, out var v) && Equals(v, kv.Value));
    }
}
