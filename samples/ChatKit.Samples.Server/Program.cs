using ChatKit.Samples.Server;

// ASPNETCORE_ENVIRONMENT=Development dotnet run --project samples/ChatKit.Samples.Server -- --urls http://127.0.0.1:5000
OneCpuThreadPool.Apply();
await SampleServer.Build(args).RunAsync();
