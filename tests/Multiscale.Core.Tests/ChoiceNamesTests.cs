namespace Multiscale.Tests;

public class ChoiceNamesTests
{
    private enum Fruit { Apple, Pear, Plum }

    private static readonly ChoiceNames<Fruit> Names = new("fruit", new[] { ("apple", Fruit.Apple), ("pear", Fruit.Pear), ("plum", Fruit.Plum) },
        new[] { ("malus", Fruit.Apple) });

    [Fact]
    public void EveryValueRoundTripsThroughItsName()
    {
        foreach (var f in Enum.GetValues<Fruit>()) Assert.Equal(f, Names.Parse(Names.Name(f)));
        Assert.Equal(new[] { "apple", "pear", "plum" }, Names.Names);
    }

    [Fact]
    public void ParsingIgnoresCaseAndBlanksAndReadsAliasesWithoutListingThem()
    {
        Assert.Equal(Fruit.Pear, Names.Parse("  PEAR "));
        Assert.Equal(Fruit.Apple, Names.Parse("malus"));
        Assert.Equal("apple", Names.Name(Fruit.Apple));
        Assert.DoesNotContain("malus", Names.Expected);
    }

    [Fact]
    public void AnUnknownNameIsOneErrorListingTheNames()
    {
        var e = Assert.Throws<MultiscaleException>(() => Names.Parse("fig"));
        Assert.Equal("unknown fruit 'fig' (expected apple, pear or plum)", e.Message);
        Assert.False(Names.TryParse(null, out _));
    }

    [Fact]
    public void RepeatedNamesAreAProgrammingError() =>
        Assert.Throws<ArgumentException>(() => new ChoiceNames<Fruit>("fruit", ("apple", Fruit.Apple), ("Apple", Fruit.Pear)));
}
