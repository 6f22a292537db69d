namespace Multiscale;

/// <summary>
/// An error in what the user gave us (a spec, a file, an option). Its message is meant to be shown as is, on one
/// line, by the command line; anything else escaping is a bug.
/// </summary>
public class MultiscaleException : Exception
{
    /// <summary>Creates the error with a message that names the problem.</summary>
    public MultiscaleException(string message) : base(message) { }

    /// <summary>Creates the error with a message that names the problem and the exception that revealed it.</summary>
    public MultiscaleException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Hop distances were asked of a graph with more than one connected component.</summary>
public sealed class DisconnectedGraphException : MultiscaleException
{
    /// <summary>Creates the error for a graph with <paramref name="componentCount"/> components.</summary>
    public DisconnectedGraphException(string graphName, int componentCount)
        : base($"graph '{graphName}' is disconnected ({componentCount} connected components): hop distances between components are infinite")
    {
        ComponentCount = componentCount;
    }

    /// <summary>Number of connected components of the graph.</summary>
    public int ComponentCount { get; }
}
