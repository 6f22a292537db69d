using Multiscale.Cli;

return MultiscaleCli.Run(args, Console.Out, Console.Error);
