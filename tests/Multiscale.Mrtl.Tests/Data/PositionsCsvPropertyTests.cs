using System.Text;
using FsCheck.Xunit;
using Multiscale.Mrtl.Data;
using Multiscale.Tests.IO;

namespace Multiscale.Mrtl.Tests.Data;

/// <summary>The positions CSV reader against damaged and random bytes (see ReaderFuzz).</summary>
public class PositionsCsvPropertyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("csv-fuzz-");

    private static readonly CountModeSpec[] Specs = { new("ball", 40, 50), new("def", 12, 12) };

    private static readonly byte[] Valid = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(
        "sample,output,label,mode,row,col,weight\r\n10,0,1,\"ball\",3.5,20,1\r\n10,0,1,def,1,1,\r\n11,1,0,ball,39.9,49.9,2\r\n11,1,0,def,,,\r\n12,0,0,ball,\"0\",\"0\",1\r\n")).ToArray();

    [Property(MaxTest = 150)]
    public void DamagedPositionFilesReadOrFailCleanly(int seed)
    {
        var path = Path.Combine(_dir.FullName, $"positions-{Guid.NewGuid():N}.csv");
        if (ReaderFuzz.ReadsOrFailsCleanly(path, ReaderFuzz.Mutate(Valid, seed), () => MrtlDataLoader.LoadPositionsCsv(path, Specs, MrtlTask.Classification)))
        {
            var data = MrtlDataLoader.LoadPositionsCsv(path, Specs, MrtlTask.Classification);
            Assert.True(data.Count >= 1 && data.Outputs >= 1);
        }
    }

    [Property(MaxTest = 50)]
    public void RandomBytesAreRefusedCleanly(byte[] noise)
    {
        var path = Path.Combine(_dir.FullName, $"noise-{Guid.NewGuid():N}.csv");
        ReaderFuzz.ReadsOrFailsCleanly(path, noise ?? Array.Empty<byte>(), () => MrtlDataLoader.LoadPositionsCsv(path, Specs, MrtlTask.Classification));
    }

    public void Dispose() => _dir.Delete(true);
}
