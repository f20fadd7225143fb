namespace ChatKit.LoadTest.Reporting;

/// <summary>What the figures were measured on.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Runtime, string Date)
{
    public static MachineInfo Current()
    {
        var cpu = "unknown";
        var cores = Environment.ProcessorCount;
        try
        {
            // Environment.ProcessorCount honours this process's affinity (one core when pinned): count the machine's.
            var lines = File.ReadAllLines("/proc/cpuinfo");
            cpu = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            cores = Math.Max(1, lines.Count(l => l.StartsWith("processor", StringComparison.Ordinal)));
        }
        catch (IOException)
        {
        }

        return new MachineInfo(cpu, cores, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
