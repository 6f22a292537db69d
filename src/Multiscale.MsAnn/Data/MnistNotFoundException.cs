namespace Multiscale.MsAnn.Data;

/// <summary>A folder that holds no MNIST data (or does not exist): hosts can add how to fetch it.</summary>
public sealed class MnistNotFoundException(string message) : MultiscaleException(message);
