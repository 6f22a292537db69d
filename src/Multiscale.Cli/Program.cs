using Multiscale.Cli;
using Multiscale.Cli.Commands;
using Multiscale.Runs;

NativeSetup.Configure();
// At a terminal a live progress line (Spectre.Console) runs under the printed lines; redirected, plain lines only.
using var live = TerminalProgress.StartIfTerminal();
return MultiscaleCli.Run(args, live?.Output ?? Console.Out, Console.Error);
