using System.Text;
using Multiscale.Mrtl.Data;

namespace Multiscale.Mrtl.Tests.Data;

/// <summary>The positions CSV as spreadsheets and other tools write it: quoted fields, a BOM, CRLF line ends.</summary>
public class PositionsCsvTests
{
    private static readonly CountModeSpec[] Specs = { new("ball", 40, 50), new("def", 12, 12) };

    private static MrtlDataset Load(string text, Encoding encoding)
    {
        var path = Path.Combine(Path.GetTempPath(), $"positions-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, text, encoding);
            return MrtlDataLoader.LoadPositionsCsv(path, Specs, MrtlTask.Classification);
        }
        finally { File.Delete(path); }
    }

    private const string Plain = "sample,output,label,mode,row,col\n10,0,1,ball,3.5,20\n10,0,1,def,1,1\n11,1,0,ball,39.9,49.9\n11,1,0,def,,\n";

    [Fact]
    public void QuotedFieldsBomAndCrlfGiveTheSameDataAsPlainText()
    {
        var plain = Load(Plain, new UTF8Encoding(false));
        const string styled = "\"sample\",\"output\",\"label\",\"mode\",\"row\",\"col\"\r\n\"10\",0,\"1\",\"ball\",\"3.5\",20\r\n10,0,1, \"def\" ,1,1\r\n\r\n11,1,0,ball,\"39.9\",49.9\r\n11,1,0,\"def\",\"\",\r\n";
        var styledData = Load(styled, new UTF8Encoding(true));
        Assert.Equal(plain.Count, styledData.Count);
        Assert.Equal(plain.Labels.data<float>().ToArray(), styledData.Labels.data<float>().ToArray());
        Assert.Equal(plain.OutputIndex.data<long>().ToArray(), styledData.OutputIndex.data<long>().ToArray());
        for (int m = 0; m < Specs.Length; m++)
        {
            var a = (CountMode)plain.Modes[m];
            var b = (CountMode)styledData.Modes[m];
            Assert.True(a.Rows.eq(b.Rows).all().item<bool>() && a.Cols.eq(b.Cols).all().item<bool>() && a.Weights.eq(b.Weights).all().item<bool>());
        }
    }

    [Fact]
    public void ErrorsKeepThePhysicalLineNumberAcrossQuotedLineBreaksAndCrlf()
    {
        // A quoted field spanning two lines (legal CSV) in an ignored extra column; the bad row starts on line 5.
        const string text = "sample,output,label,mode,row,col,note\r\n10,0,1,ball,3.5,20,\"two\r\nlines\"\r\n10,0,1,def,1,1,x\r\n11,1,0,ball,oops,1,y\r\n";
        var e = Assert.Throws<MultiscaleException>(() => Load(text, new UTF8Encoding(true)));
        Assert.Contains("line 5", e.Message);
        Assert.Contains("'oops,1'", e.Message);
    }
}
