namespace ChatKit.LoadTest.Reporting;

/// <summary>What the figures were measured on.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Runtime, string Date)
{
    public static MachineInfo Current()
    {
        var cpu = "unknown";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        return new MachineInfo(cpu, Environment.ProcessorCount, System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
