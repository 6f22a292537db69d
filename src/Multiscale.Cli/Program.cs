using Multiscale.Cli;
using Multiscale.Training;

Reproducibility.ConfigureNativeMath();
return MultiscaleCli.Run(args, Console.Out, Console.Error);
