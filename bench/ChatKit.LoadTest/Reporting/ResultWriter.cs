using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatKit.LoadTest.Scenarios;
using ChatKit.LoadTest.Servers;

namespace ChatKit.LoadTest.Reporting;

/// <summary>Writes a run's results as JSON (everything) and Markdown (the table a reader wants).</summary>
internal static class ResultWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static (string Json, string Markdown) Write(string? outPath, string command, string scenario, IReadOnlyList<Measurement> measurements, string? ratioLine, string? likeSpeedLine)
    {
        var dir = RepoPaths.ArtifactsDirectory;
        var stem = outPath ?? Path.Combine(dir, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{scenario}");
        if (stem.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            stem = stem[..^5];
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(stem))!);
        var machine = MachineInfo.Current();
        var document = new { command, scenario, machine, ratio = ratioLine, likeHostSpeed = likeSpeedLine, measurements = measurements.Select(m => new { m.Target, m.Scenario, m.Round, m.Score, m.Headline, m.ProbeBeforeMs, m.ProbeAfterMs, Detail = (object)m.Detail }) };
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(document, JsonOptions));

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## {scenario}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"`{command}`  ");
        md.AppendLine(CultureInfo.InvariantCulture, $"{machine.Date}, {machine.Cpu}, {machine.Cores} cores, {machine.Os}, {machine.Runtime}");
        md.AppendLine();
        if (measurements.Any(m => m.Detail is CapacityResult or StepResult))
        {
            var rateHeading = measurements.Any(m => m.Detail is CapacityResult) ? "capacity (msg/s)" : "rate (msg/s)";
            md.AppendLine(CultureInfo.InvariantCulture, $"| round | target | {rateHeading} | deliveries/s | p50 ms | p99 ms | server CPU us/delivery | server CPU s / 1M deliveries | server RSS MiB |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var m in measurements)
            {
                var step = m.Detail switch
                {
                    CapacityResult c => c.Confirmed,
                    StepResult s => s,
                    _ => null,
                };
                var capacity = m.Detail is CapacityResult cr ? cr.Capacity : step?.Rate ?? 0;
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {m.Round} | {m.Target} | {capacity:N0} | {step?.DeliveredPerSecond ?? 0:N0} | {step?.P50Ms ?? 0:F2} | {step?.P99Ms ?? 0:F2} | {step?.ServerCpuMicrosPerDelivery ?? 0:F2} | {step?.ServerCpuSecondsPerMillionDeliveries ?? 0:F1} | {(step?.ServerRssBytes ?? 0) / 1048576.0:F0} |");
            }
        }
        else
        {
            md.AppendLine("| round | target | result |");
            md.AppendLine("|---|---|---|");
            foreach (var m in measurements)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {m.Round} | {m.Target} | {m.Headline} |");
            }
        }

        if (measurements.Any(m => m.ProbeBeforeMs is not null))
        {
            md.AppendLine();
            md.AppendLine("Host probe (ms of fixed work on the server CPUs, before / after each measurement): " + string.Join(", ",
                measurements.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Target} r{m.Round} {m.ProbeBeforeMs:F1}/{m.ProbeAfterMs:F1}"))));
        }

        if (likeSpeedLine is not null)
        {
            md.AppendLine();
            md.AppendLine(likeSpeedLine);
        }

        if (ratioLine is not null)
        {
            md.AppendLine();
            md.AppendLine("`" + ratioLine + "`");
        }

        File.WriteAllText(stem + ".md", md.ToString());
        return (stem + ".json", stem + ".md");
    }
}
