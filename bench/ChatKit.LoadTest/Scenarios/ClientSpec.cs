namespace ChatKit.LoadTest.Scenarios;

/// <summary>One connection to open: whose, which device, on which node, resuming from which cursor.</summary>
internal sealed record ClientSpec(string User, string Device, int Node = 0, long? ResumeAfter = null);
