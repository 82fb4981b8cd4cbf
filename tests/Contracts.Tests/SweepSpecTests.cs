using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Contracts.Tests;

public class SweepSpecTests
{
    const string Example = """
        # sweeps/pconv-vs-dsconv.yaml
        name: pconv-vs-dsconv
        data: data/shapes.yaml
        train: { epochs: 50, imgsz: 640, batch: 64, optimizer: SGD, patience: 20 }
        matrix:
          model: [yolov5, yolov5-c3faster, yolov5-akconv, yolov8, yolov8-dsconv]
          scale: [n, s]
          knobs:
            pconv.n_div: [2, 4, 8]
            dsconv.block_size: [8, 16, 32]
        seeds: [0, 1, 2]
        resources: { gpus: 1 }
        strategy: { kind: grid }
        """;

    static SweepSpecException Fails(string yaml) => Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, "sweep.yaml"));

    [Fact]
    public void The_design_example_parses_with_all_its_settings()
    {
        var spec = SweepSpecParser.Parse(Example);
        Assert.Equal("pconv-vs-dsconv", spec.Name);
        Assert.Equal("data/shapes.yaml", spec.Data);
        Assert.Equal(50, spec.Train.Epochs);
        Assert.Equal(64, spec.Train.Batch);
        Assert.Equal(20, spec.Train.Patience);
        Assert.Equal(["yolov5", "yolov5-c3faster", "yolov5-akconv", "yolov8", "yolov8-dsconv"], spec.Models);
        Assert.Equal(["n", "s"], spec.Scales);
        Assert.Equal(["2", "4", "8"], spec.Knobs["pconv.n_div"]);
        Assert.Equal([0, 1, 2], spec.Seeds);
        Assert.Equal(StrategyKind.Grid, spec.Strategy.Kind);
        Assert.Null(spec.Train.Simulate);
    }

    [Fact]
    public void Malformed_yaml_reports_line_and_column()
    {
        var e = Fails("name: x\nmatrix:\n  model: [yolov5\n  scale: n\n");
        var error = Assert.Single(e.Errors);
        Assert.Matches(@"^sweep\.yaml:\d+:\d+: invalid YAML", error);
        Assert.DoesNotContain("Idx:", error);
    }

    [Fact]
    public void Unknown_model_is_reported_at_its_position_with_the_known_models()
    {
        var e = Fails("name: x\nmatrix:\n  model: [yolov5, yolov9]\n");
        var error = Assert.Single(e.Errors);
        Assert.StartsWith("sweep.yaml:3:19: unknown model 'yolov9'", error);
        Assert.Contains("yolov5-c3faster", error);
    }

    [Fact]
    public void A_knob_no_model_of_the_sweep_has_is_refused_naming_its_owner()
    {
        var e = Fails("name: x\nmatrix:\n  model: yolov5\n  knobs:\n    dsconv.block_size: [8]\n");
        var error = Assert.Single(e.Errors);
        Assert.StartsWith("sweep.yaml:5:5: knob 'dsconv.block_size' does not apply to any model of this sweep (yolov5)", error);
        Assert.Contains("yolov8-dsconv", error);
    }

    [Fact]
    public void Unknown_knob_and_bad_knob_value_are_both_reported()
    {
        var e = Fails("name: x\nmatrix:\n  model: [yolov5-c3faster, yolov5-efficientvit]\n  knobs:\n    pconv.n_div: [0, 2]\n    efficientvit.variant: [M9]\n    foo.bar: 1\n");
        Assert.Equal(3, e.Errors.Count);
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:5:19: knob 'pconv.n_div' value '0' is not an integer in 1..1024"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:6:28: knob 'efficientvit.variant' value 'M9' is not one of M0"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:7:5: knob 'foo.bar'"));
    }

    [Fact]
    public void Bad_scale_negative_epochs_and_empty_lists_are_located()
    {
        var e = Fails("name: x\ntrain: { epochs: -3 }\nmatrix:\n  model: []\n  scale: [n, q]\nseeds: []\n");
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:2:18: 'epochs' must not be negative, got -3"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:4:10: 'model' is empty"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:5:14: bad scale 'q'"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:6:8: seeds is empty"));
    }

    [Fact]
    public void Scale_b_only_exists_for_yolov10()
    {
        Assert.Contains(Fails("name: x\nmatrix: { model: yolov5, scale: b }\n").Errors, x => x.Contains("scale 'b' is not available for any model"));
        Assert.Equal(["b"], SweepSpecParser.Parse("name: x\nmatrix: { model: [yolov5, yolov10], scale: b }\n").Scales);
    }

    [Fact]
    public void Missing_name_unknown_keys_and_bad_strategy_are_reported()
    {
        var e = Fails("matrix: { model: yolov5 }\nepochs: 3\nstrategy: { kind: asha }\ntrain: { foo: 1, imgsz: 100 }\n");
        Assert.Contains(e.Errors, x => x == "sweep.yaml:1:1: missing 'name'");
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:2:1: unknown top-level key 'epochs'"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:3:19: strategy 'asha' (early stopping) is not supported yet"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:4:10: unknown train setting 'foo'"));
        Assert.Contains(e.Errors, x => x.StartsWith("sweep.yaml:4:25: imgsz 100 must be a multiple of 32"));
    }

    [Fact]
    public void Duplicate_keys_are_a_located_error_not_a_crash()
    {
        var e = Fails("name: x\nname: y\nmatrix: { model: yolov5 }\n");
        Assert.Matches(@"^sweep\.yaml:\d+:\d+: ", Assert.Single(e.Errors));
    }

    [Fact]
    public void A_sweep_file_that_is_not_a_mapping_is_refused()
    {
        Assert.StartsWith("sweep.yaml:1:1: a sweep file must be a mapping", Assert.Single(Fails("- just\n- a list\n").Errors));
        Assert.Single(Fails("").Errors);
    }

    [Fact]
    public void Simulate_and_retry_settings_are_read()
    {
        var spec = SweepSpecParser.Parse("name: x\ntrain: { epochs: 2, simulate: { seconds_per_epoch: 0.01, fail_at_epoch: 2 } }\nmatrix: { model: yolov8 }\nretry: { max_attempts: 5, backoff_seconds: 0.5 }\npriority: 7\n");
        Assert.Equal(0.01, spec.Train.Simulate!.SecondsPerEpoch);
        Assert.Equal(2, spec.Train.Simulate.FailAtEpoch);
        Assert.Equal(5, spec.MaxAttempts);
        Assert.Equal(0.5, spec.BackoffSeconds);
        Assert.Equal(7, spec.Priority);
        Assert.Equal(["n"], spec.Scales);
    }
}
