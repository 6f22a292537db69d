using TorchSharp;

namespace Multiscale.Runs;

/// <summary>
/// The one place where the compute device is chosen: <c>auto</c> (CUDA when the loaded backend has a GPU, else CPU),
/// <c>cpu</c>, or <c>cuda</c> / <c>cuda:N</c>. Everything that creates tensors takes the resulting device.
/// </summary>
public static class DeviceChoice
{
    /// <summary>The accepted spellings, for help texts.</summary>
    public const string Choices = "auto|cpu|cuda|cuda:N";

    /// <summary>Resolves a device name; throws <see cref="MultiscaleException"/> for unknown names or a CUDA request without CUDA.</summary>
    public static torch.Device Resolve(string? name)
    {
        string choice = (name ?? "auto").Trim().ToLowerInvariant();
        if (choice is "" or "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (choice == "cpu") return torch.CPU;
        if (choice == "cuda" || choice.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new MultiscaleException(
                    $"device '{name}' was requested but CUDA is not available (this build uses the CPU backend, or no GPU is visible); " +
                    "build with -p:TorchBackend=cuda on a machine with CUDA 12.8, or choose the cpu device");
            if (choice == "cuda") return torch.CUDA;
            if (!int.TryParse(choice.AsSpan(5), out int index) || index < 0 || index >= torch.cuda.device_count())
                throw new MultiscaleException($"device '{name}': there are {torch.cuda.device_count()} CUDA device(s)");
            return new torch.Device(DeviceType.CUDA, index);
        }
        throw new MultiscaleException($"unknown device '{name}'; expected {Choices}");
    }
}
