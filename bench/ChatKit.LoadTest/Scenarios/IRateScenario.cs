namespace ChatKit.LoadTest.Scenarios;

/// <summary>A scenario measured at an offered rate, so that the capacity search can step it.</summary>
internal interface IRateScenario : IAsyncDisposable
{
    /// <summary>What the rate counts ("msg/s", "connects/s").</summary>
    string Unit { get; }

    Task<StepResult> RunStepAsync(double rate, double seconds, CancellationToken cancellationToken);
}
