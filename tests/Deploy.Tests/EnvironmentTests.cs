using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

/// <summary>Every environment variable the programs read is given to them by k8s/.</summary>
public class EnvironmentTests
{
    /// <summary>
    /// Which of our programs reads each YOLOSWEEP_* variable (the deployment contract).
    /// A variable that appears in src/ must be listed here or in <see cref="NotNeededInCluster"/>; each one listed
    /// here must be provided, in every overlay, to the container of each program named.
    /// </summary>
    public static readonly Dictionary<string, Workload[]> ReadBy = new()
    {
        ["YOLOSWEEP_DB"] = [Workload.Silo],                          // PostgreSQL connection string (Secret)
        ["YOLOSWEEP_CLIENT_TOKEN"] = [Workload.Silo],                // bearer token of clients (Secret)
        ["YOLOSWEEP_TRAINER_TOKEN"] = [Workload.Silo, Workload.Trainer], // bearer token of trainer hosts (Secret)
        ["YOLOSWEEP_URLS"] = [Workload.Silo],                        // where the Silo listens (silo-config)
        ["YOLOSWEEP_SILO_PORT"] = [Workload.Silo],                   // silo-to-silo (Orleans) port (silo-config)
        ["YOLOSWEEP_CLUSTER_ID"] = [Workload.Silo],                  // the Orleans cluster the silos form (silo-config)
        ["YOLOSWEEP_SERVICE_ID"] = [Workload.Silo],                  // whose grain state they share (silo-config)
        ["YOLOSWEEP_SILO"] = [Workload.Trainer, Workload.Cli],       // the Silo's URL
        ["YOLOSWEEP_DEVICES"] = [Workload.Trainer],                  // 0,1,…,N-1 (GPU indices) | cpu (trainer-config)
        ["YOLOSWEEP_SHARED_DIR"] = [Workload.Trainer],               // datasets + checkpoints volume (trainer-config)
        ["YOLOSWEEP_TOKEN"] = [Workload.Cli],                        // the CLI's bearer token (Secret)
    };

    /// <summary>Variables the programs read that a cluster has no use for, each with the reason.
    /// (For example a setting of the embedded single-machine mode.)</summary>
    public static readonly Dictionary<string, string> NotNeededInCluster = new()
    {
        ["YOLOSWEEP_DEBUG"] = "prints stack traces for CLI errors; a debugging aid, off by default",
        ["YOLOSWEEP_NATIVE_DIR"] = "overrides where libys_torch.so is found; the images put it beside the assemblies",
        ["YOLOSWEEP_QUIET_TOKEN_WARNING"] = "silences the CLI's warning about tokens on the command line; the manifests pass tokens as Secrets",
        ["YOLOSWEEP_GATEWAY_PORT"] = "an Orleans gateway is for Orleans clients; in a cluster trainers and the CLI use the HTTP API",
        ["YOLOSWEEP_ADVERTISE_ADDRESS"] = "a pod advertises its own address (POD_IP, else its hostname's address)",
        ["YOLOSWEEP_BLAS"] = "picks the BLAS libtorch loads; the default (OpenBLAS, which the trainer-cpu image installs) is what a cluster wants",
        ["YOLOSWEEP_HOST_LOCK"] = "moves the host lock file; the default in the trainer container's temp folder is shared by all its trials, which is what it is for",
        ["YOLOSWEEP_LATENCY_THREADS"] = "the latency step's thread count; the default, min(cores, 4), follows the container's CPU limit",
    };

    [Fact]
    public void Every_variable_the_source_reads_is_known_to_the_manifests()
    {
        var unknown = AppSource.EnvironmentVariables()
            .Where(v => !ReadBy.ContainsKey(v.Key) && !NotNeededInCluster.ContainsKey(v.Key))
            .Select(v => $"{v.Key} (in {string.Join(", ", v.Value)})")
            .ToList();
        Assert.True(unknown.Count == 0,
            $"src/ reads {string.Join("; ", unknown)}, which k8s/ does not know. Provide it to the containers that " +
            "read it (k8s/base: silo-config / trainer-config ConfigMaps, the yolosweep-secrets Secret of the overlays, " +
            "or the Job in k8s/examples/submit-sweep) and add it to EnvironmentTests.ReadBy in tests/Deploy.Tests " +
            "(or to NotNeededInCluster, with the reason, if a cluster has no use for it).");
    }

    [Fact]
    public void The_deployment_contract_variables_are_all_mapped()
    {
        string[] contract =
        [
            "YOLOSWEEP_DB", "YOLOSWEEP_CLIENT_TOKEN", "YOLOSWEEP_TRAINER_TOKEN", "YOLOSWEEP_URLS",
            "YOLOSWEEP_SILO", "YOLOSWEEP_DEVICES", "YOLOSWEEP_SHARED_DIR", "YOLOSWEEP_TOKEN",
            // the Orleans cluster the silos form
            "YOLOSWEEP_SILO_PORT", "YOLOSWEEP_CLUSTER_ID", "YOLOSWEEP_SERVICE_ID",
        ];
        Assert.Equal(contract.Order(), ReadBy.Keys.Order());
        Assert.All(ReadBy, kv => Assert.NotEmpty(kv.Value));
    }

    [Theory, MemberData(nameof(KustomizeTests.Kustomizations), MemberType = typeof(KustomizeTests))]
    public void Every_reference_to_a_ConfigMap_Secret_or_volume_claim_resolves(string kustomization)
    {
        if (kustomization == "base") return; // the Secret comes from the overlays
        var cluster = kustomization == Rendered.SubmitJob ? Rendered.WithSubmitJob(Rendered.Gpu) : Rendered.Of(kustomization);
        var errors = new List<string>();
        foreach (var o in cluster)
        {
            var id = $"{Str(o, "kind")}/{Str(o, "metadata", "name")}";
            foreach (var c in Kustomize.Containers(o))
            {
                var containerErrors = new List<string>();
                ContainerEnvironment.Of(c, cluster, containerErrors);
                errors.AddRange(containerErrors.Select(e => $"{id} container {Str(c, "name")}: {e}"));
            }
            var podSpec = Kustomize.PodSpec(o);
            var claims = Maps(o, "spec", "volumeClaimTemplates").Select(t => Str(t, "metadata", "name")).ToHashSet();
            foreach (var v in Maps(podSpec, "volumes"))
            {
                if (Str(v, "configMap", "name") is { } cm && ContainerEnvironment.DataOf(cluster, "ConfigMap", cm) == null)
                    errors.Add($"{id}: volume {Str(v, "name")} names ConfigMap/{cm}, which does not exist");
                if (Str(v, "secret", "secretName") is { } s && ContainerEnvironment.DataOf(cluster, "Secret", s) == null)
                    errors.Add($"{id}: volume {Str(v, "name")} names Secret/{s}, which does not exist");
                if (Str(v, "persistentVolumeClaim", "claimName") is { } pvc && !cluster.Any(x => Str(x, "kind") == "PersistentVolumeClaim" && Str(x, "metadata", "name") == pvc))
                    errors.Add($"{id}: volume {Str(v, "name")} names PersistentVolumeClaim/{pvc}, which does not exist");
            }
            foreach (var c in Kustomize.Containers(o))
                foreach (var m in Maps(c, "volumeMounts"))
                    if (!Maps(podSpec, "volumes").Any(v => Str(v, "name") == Str(m, "name")) && !claims.Contains(Str(m, "name")))
                        errors.Add($"{id} container {Str(c, "name")}: mounts volume {Str(m, "name")}, which the pod does not have");
        }
        Assert.True(errors.Count == 0, $"k8s/{kustomization}:\n" + string.Join("\n", errors));
    }

    public static TheoryData<string> Overlays => [.. Rendered.Deployable];

    [Theory, MemberData(nameof(Overlays))]
    public void Every_program_is_given_every_variable_it_reads(string overlay)
    {
        var missing = new List<string>();
        var fromSource = AppSource.EnvironmentVariables().Keys.Where(ReadBy.ContainsKey);
        foreach (var variable in ReadBy.Keys.Union(fromSource))
            foreach (var workload in ReadBy[variable])
            {
                var cluster = workload.Cluster(overlay);
                var errors = new List<string>();
                var env = ContainerEnvironment.Of(workload.ContainerIn(cluster), cluster, errors);
                if (!env.ContainsKey(variable)) missing.Add($"{workload} is not given {variable}");
            }
        Assert.True(missing.Count == 0, $"k8s/{overlay}:\n" + string.Join("\n", missing));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Secrets_hold_every_key_and_the_database_url_names_the_bundled_postgres(string overlay)
    {
        var cluster = Rendered.Of(overlay);
        var data = ContainerEnvironment.DataOf(cluster, "Secret", "yolosweep-secrets");
        Assert.NotNull(data);
        Assert.Equal(["client-token", "database-url", "postgres-password", "trainer-token"], data.Keys.Order());
        Assert.All(data.Keys, key => Assert.NotEmpty(ContainerEnvironment.SecretValue(cluster, "yolosweep-secrets", key)));

        // The Silo's connection string reaches the StatefulSet's Service with the password PostgreSQL is started with.
        var url = ContainerEnvironment.SecretValue(cluster, "yolosweep-secrets", "database-url");
        var parts = url.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("postgres", parts["Host"]);
        Assert.Equal("5432", parts["Port"]);
        Assert.Equal(ContainerEnvironment.SecretValue(cluster, "yolosweep-secrets", "postgres-password"), parts["Password"]);
        var postgres = Rendered.Find(cluster, "StatefulSet", "postgres");
        var env = ContainerEnvironment.Of(Rendered.Container(postgres, "postgres"), cluster, []);
        Assert.Equal(env["POSTGRES_USER"], parts["Username"]);
        Assert.Equal(env["POSTGRES_DB"], parts["Database"]);
        Rendered.Find(cluster, "Service", "postgres");
    }
}
