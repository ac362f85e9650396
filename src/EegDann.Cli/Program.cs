using System.CommandLine;
using EegDann.Cli;
using Serilog;

return await EegDannCli.RunAsync(args);
