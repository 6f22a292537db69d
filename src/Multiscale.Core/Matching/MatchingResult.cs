namespace Multiscale.Matching;

/// <summary>An assignment of every column (coarse item) to a distinct row (fine item), with its total cost.</summary>
/// <param name="RowOfColumn">
/// For each column j, the row it is assigned to; rows are distinct. Record equality compares this array by
/// reference, so compare assignments with <c>SequenceEqual</c>.
/// </param>
/// <param name="TotalCost">Sum over columns j of cost[RowOfColumn[j], j], summed in column order.</param>
public sealed record MatchingResult(int[] RowOfColumn, double TotalCost);
