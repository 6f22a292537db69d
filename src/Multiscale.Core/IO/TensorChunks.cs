using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Multiscale.IO;

/// <summary>
/// Moves a tensor's raw bytes to and from a stream in bounded chunks with 64-bit offsets, so arrays larger than 2 GB
/// pass and no buffer is sized by anything but the bytes at hand (the array formats' shared data path).
/// </summary>
internal static class TensorChunks
{
    /// <summary>Bytes moved per step (a multiple of every element width).</summary>
    public const int ChunkBytes = 1 << 22;

    /// <summary>Writes the elements of a 1-D CPU tensor of <paramref name="width"/>-byte elements, byte-swapped when <paramref name="swap"/>.</summary>
    public static void Write(Stream stream, Tensor flat, int width, bool swap) =>
        ForEachChunk(flat.numel(), width, (at, n, bytes) =>
        {
            using (var part = flat.narrow(0, at, n)) CopyOut(part, bytes);
            if (swap) SwapBytes(bytes, width);
            stream.Write(bytes);
        });

    /// <summary>
    /// Fills a 1-D CPU tensor from <paramref name="read"/> (which fills the span it is given exactly or throws),
    /// byte-swapped when <paramref name="swap"/>; bool bytes other than 0 become 1, as numpy reads them.
    /// </summary>
    public static void Read(Tensor flat, int width, bool swap, SpanAction read) =>
        ForEachChunk(flat.numel(), width, (at, n, bytes) =>
        {
            read(bytes);
            if (swap) SwapBytes(bytes, width);
            if (flat.dtype == ScalarType.Bool)
                for (int i = 0; i < bytes.Length; i++) bytes[i] = bytes[i] == 0 ? (byte)0 : (byte)1;
            using var chunk = empty(n, flat.dtype);
            chunk.bytes = bytes;
            using var target = flat.narrow(0, at, n);
            target.copy_(chunk);
        });

    /// <summary>One step over <paramref name="n"/> elements starting at element <paramref name="at"/>, their bytes in a reused buffer.</summary>
    private delegate void ChunkAction(long at, int n, Span<byte> bytes);

    /// <summary>Walks <paramref name="count"/> elements of <paramref name="width"/> bytes in chunks of at most <see cref="ChunkBytes"/>.</summary>
    private static void ForEachChunk(long count, int width, ChunkAction step)
    {
        if (count == 0) return;
        var buffer = new byte[(int)Math.Min(ChunkBytes, count * width)];
        int perChunk = buffer.Length / width;
        for (long at = 0; at < count; at += perChunk)
        {
            int n = (int)Math.Min(perChunk, count - at);
            step(at, n, buffer.AsSpan(0, n * width));
        }
    }

    /// <summary>Fills a byte span exactly.</summary>
    public delegate void SpanAction(Span<byte> bytes);

    /// <summary>Copies a 1-D CPU tensor of at most one chunk into <paramref name="target"/> (its exact byte size).</summary>
    public static void CopyOut(Tensor part, Span<byte> target)
    {
        using var contiguous = part.contiguous();
        contiguous.bytes.CopyTo(target);
    }

    private static void SwapBytes(Span<byte> bytes, int width)
    {
        switch (width)
        {
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(bytes), MemoryMarshal.Cast<byte, ushort>(bytes)); break;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes)); break;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes)); break;
        }
    }
}
