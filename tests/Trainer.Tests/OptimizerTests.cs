using Xunit.Abstractions;
using YoloSweep.Contracts.Trials;
using YoloSweep.Models;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Optim;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>Choosing the optimiser: SGD, Adam and AdamW built as ultralytics' build_optimizer does.</summary>
public class OptimizerTests(TinySynth synth, ITestOutputHelper output) : IClassFixture<TinySynth>
{
    [Fact]
    public void AdamW_has_ultralytics_groups_and_betas_and_a_few_steps_reduce_the_tiny_models_loss()
    {
        var cfg = DatasetConfig.Load(synth.Yaml);
        manual_seed(3);
        using var model = ModelCatalog.Build(Fixtures.TinyModel("tiny-v8"), "n", cfg.Nc);
        model.train();
        var o = new OptimOptions(Optimizer: "AdamW", Lr0: Optimizers.DefaultLr0("AdamW"), WarmupEpochs: 3);
        using var opt = Optimizers.Build(model, o, weightDecay: 5e-4);

        Assert.IsType<optim.AdamW>(opt);
        Assert.Equal(3, opt.param_groups.Count);
        Assert.Equal([0.0, 5e-4, 0.0], opt.param_groups.Select(g => g.weight_decay));
        Assert.All(opt.param_groups, g => Assert.Equal((0.001, 0.937, 0.999), (g.lr, g.beta1, g.beta2)));
        // decay only on weights: biases and BN weights (ultralytics Conv names them *.bn.weight) go to the no-decay groups
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Equal(trainable.Count(n => n.EndsWith(".bias")), opt.param_groups[Schedule.BiasGroup].parameters.Count);
        Assert.Equal(trainable.Count(n => n.EndsWith(".weight") && !n.EndsWith(".bn.weight")), opt.param_groups[Schedule.WeightGroup].parameters.Count);
        Assert.Equal(trainable.Count(n => n.EndsWith(".bn.weight")), opt.param_groups[Schedule.BnGroup].parameters.Count);
        Assert.Equal(model.parameters().Count(p => p.requires_grad), opt.param_groups.Sum(g => g.parameters.Count));

        // the warm-up ramps lr but, as in ultralytics (groups without a 'momentum' key), leaves beta1 alone
        var schedule = new Schedule(o, epochs: 10, batchesPerEpoch: 10, batchSize: 8);
        schedule.Start(opt);
        schedule.Apply(opt, ni: 50, epoch: 0);
        Assert.Equal(0.937, opt.param_groups[0].beta1);
        Assert.Equal(0.001 * schedule.LrFactor(0) * 0.5, opt.param_groups[Schedule.WeightGroup].lr, 12);

        using var ds = YoloDataset.Open(cfg.Val, cfg.Nc, 64);
        using var batch = new DetectionLoader(ds, 16, train: false, new AugmentOptions(), workers: 1).Epoch(0, mosaic: false).First();
        var lossFn = TrainingRun.MakeLoss(model, 64);
        foreach (var g in opt.param_groups) g.lr = 0.001;
        var losses = new List<float>();
        for (var step = 0; step < 8; step++)
        {
            using var scope = NewDisposeScope();
            var (loss, _) = lossFn(model, batch.Images, batch.Targets);
            losses.Add(loss.item<float>());
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        output.WriteLine(string.Join(" ", losses.Select(l => l.ToString("F4"))));
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss {losses[0]} -> {losses[^1]}");
        var state = opt.state_dict().ToDictionary(e => e.name, e => e.value);
        Assert.Equal(8f, state["state.0.step"].item<float>());
    }
}
