using BenchmarkDotNet.Running;

// Hot-path micro-benchmarks. Run: dotnet run -c Release --project bench/ChatKit.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point holder for BenchmarkSwitcher.</summary>
public partial class Program;
