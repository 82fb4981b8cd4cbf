using System.CommandLine;
using Spectre.Console;
using YoloSweep.Trainer.Data;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep data synth`: writes the synthetic shapes dataset.</summary>
public static class DataCommands
{
    public static Command Build()
    {
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var train = new Option<int>("--train") { DefaultValueFactory = _ => 800 };
        var val = new Option<int>("--val") { DefaultValueFactory = _ => 200 };
        var imgsz = new Option<int>("--imgsz") { DefaultValueFactory = _ => 128 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var synth = new Command("synth", "Write a synthetic detection dataset (coloured shapes, YOLO labels, data.yaml)") { outDir, train, val, imgsz, seed };
        synth.SetAction(parse =>
        {
            try
            {
                var yaml = Synth.Write(new SynthOptions(parse.GetValue(outDir)!, parse.GetValue(train), parse.GetValue(val), parse.GetValue(imgsz), parse.GetValue(seed)));
                AnsiConsole.MarkupLineInterpolated($"wrote {parse.GetValue(train)} train + {parse.GetValue(val)} val images: {yaml}");
                AnsiConsole.MarkupLineInterpolated($"next: yolosweep train --model yolov8 --scale n --data {TrainCommands.Relative(yaml)} --epochs 30 --imgsz {parse.GetValue(imgsz)}");
                return 0;
            }
            catch (ArgumentException e)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error[/]: {e.Message}");
                return 1;
            }
        });
        return new Command("data", "Datasets") { synth };
    }
}
