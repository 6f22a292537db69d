using Multiscale.Cli;
using Multiscale.Training;

NativeSetup.Configure();
return MultiscaleCli.Run(args, Console.Out, Console.Error);
