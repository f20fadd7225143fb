namespace ChatKit.Samples.ConsoleClient;

/// <summary>The command line of the console client.</summary>
internal sealed record ConsoleOptions(
    Uri Server, string User, string Device, string StateDirectory, string Path, string? Token, bool StayAfterEof)
{
    public const string Usage = """
        usage: ChatKit.Samples.ConsoleClient --user NAME [--device NAME] [--server http://127.0.0.1:5000]
                                             [--state-dir DIR] [--path /chatkit] [--token TOKEN] [--stay]

          --server     the sample server (default http://127.0.0.1:5000)
          --user       who to log in as, through the server's development login (POST /dev/token)
          --device     this device's name (default: console)
          --state-dir  where the cursor file lives (default ~/.chatkit): one file per user and device, so a
                       restarted client shows what it missed, exactly once
          --path       the WebSocket endpoint's path (default /chatkit)
          --token      use this bearer token instead of the development login
          --stay       keep running when standard input ends (for scripts that feed commands then watch)
        """;

    public static ConsoleOptions? Parse(string[] args, TextWriter error)
    {
        string server = "http://127.0.0.1:5000";
        string? user = null;
        string device = "console";
        string stateDir = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".chatkit");
        string path = "/chatkit";
        string? token = null;
        bool stay = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "--stay")
            {
                stay = true;
                continue;
            }

            if (arg is "-h" or "--help" || i + 1 >= args.Length)
            {
                error.WriteLine(arg is "-h" or "--help" ? Usage : $"missing value for {arg}\n{Usage}");
                return null;
            }

            string value = args[++i];
            switch (arg)
            {
                case "--server": server = value; break;
                case "--user": user = value; break;
                case "--device": device = value; break;
                case "--state-dir": stateDir = value; break;
                case "--path": path = value; break;
                case "--token": token = value; break;
                default:
                    error.WriteLine($"unknown option {arg}\n{Usage}");
                    return null;
            }
        }

        if (string.IsNullOrEmpty(user) || !Uri.TryCreate(server, UriKind.Absolute, out Uri? serverUri))
        {
            error.WriteLine(Usage);
            return null;
        }

        return new ConsoleOptions(serverUri, user, device, stateDir, path, token, stay);
    }
}
