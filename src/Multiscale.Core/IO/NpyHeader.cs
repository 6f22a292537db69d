using System.Globalization;
using System.Text;

namespace Multiscale.IO;

/// <summary>
/// The dictionary at the head of a <c>.npy</c> file: dtype, memory order and shape. Parsed by a small reader of the
/// Python literal numpy writes (never evaluated), so any other text is one clear error.
/// </summary>
internal sealed record NpyHeader(NpyDtype Dtype, bool FortranOrder, long[] Shape)
{
    /// <summary>numpy itself refuses headers above 10,000 bytes by default; above this much we never read one.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>Number of elements (checked: a product that overflows is an error, not a negative count).</summary>
    public long Count(string name)
    {
        long count = 1;
        foreach (long d in Shape)
        {
            try { count = checked(count * d); }
            catch (OverflowException) { throw new MultiscaleException($"'{name}': shape ({string.Join(", ", Shape)}) overflows a 64-bit element count"); }
        }
        return count;
    }

    /// <summary>The dictionary text numpy writes for this header (without padding).</summary>
    public string Format()
    {
        string shape = Shape.Length == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";
        return $"{{'descr': '{Dtype.Descr}', 'fortran_order': {(FortranOrder ? "True" : "False")}, 'shape': {shape}, }}";
    }

    /// <summary>Parses the header dictionary of file <paramref name="name"/>.</summary>
    public static NpyHeader Parse(string text, string name)
    {
        var reader = new LiteralReader(text, name);
        var dict = reader.ReadDictionary();
        if (!dict.TryGetValue("descr", out var descr) || !dict.TryGetValue("fortran_order", out var order) || !dict.TryGetValue("shape", out var shape))
            throw new MultiscaleException($"'{name}': the .npy header lacks 'descr', 'fortran_order' or 'shape'");
        if (descr is List<object>)
            throw new MultiscaleException($"'{name}': structured (record) arrays are not supported; save each field as its own array");
        if (descr is not string d) throw new MultiscaleException($"'{name}': the .npy header's 'descr' is not a dtype string");
        if (order is not bool fortran) throw new MultiscaleException($"'{name}': the .npy header's 'fortran_order' is not True or False");
        if (shape is not long[] dims) throw new MultiscaleException($"'{name}': the .npy header's 'shape' is not a tuple of integers");
        if (dims.Any(x => x < 0)) throw new MultiscaleException($"'{name}': negative dimension in shape ({string.Join(", ", dims)})");
        return new NpyHeader(NpyDtype.Parse(d, name), fortran, dims);
    }

    /// <summary>Reads the subset of Python literals a .npy header uses: a dict of strings, booleans, int tuples, lists.</summary>
    private sealed class LiteralReader(string text, string name)
    {
        private int _at;

        public Dictionary<string, object> ReadDictionary()
        {
            Expect('{');
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                if (Peek() == '}') { _at++; break; }
                string key = ReadString();
                Expect(':');
                result[key] = ReadValue(depth: 0);
                SkipSpace();
                if (Peek() == ',') { _at++; continue; }
                Expect('}');
                break;
            }
            SkipSpace();
            if (_at != text.Length) throw Error("text after the header dictionary");
            return result;
        }

        private object ReadValue(int depth)
        {
            if (depth > 32) throw Error("nested too deeply");
            SkipSpace();
            char c = Peek();
            if (c is '\'' or '"') return ReadString();
            if (c == '(') return ReadTuple();
            if (c == '[')
            {
                // Structured dtypes: a list of (name, dtype[, shape]) tuples. Read it only to report it clearly.
                _at++;
                var items = new List<object>();
                while (true)
                {
                    SkipSpace();
                    if (Peek() == ']') { _at++; return items; }
                    items.Add(ReadAny(depth + 1));
                    SkipSpace();
                    if (Peek() == ',') _at++;
                }
            }
            if (Match("True")) return true;
            if (Match("False")) return false;
            throw Error($"unexpected '{c}'");
        }

        private object ReadAny(int depth)
        {
            if (depth > 32) throw Error("nested too deeply");
            SkipSpace();
            char c = Peek();
            if (c is '(' or '[')
            {
                char close = c == '(' ? ')' : ']';
                _at++;
                var items = new List<object>();
                while (true)
                {
                    SkipSpace();
                    if (Peek() == close) { _at++; return items; }
                    items.Add(ReadAny(depth + 1));
                    SkipSpace();
                    if (Peek() == ',') _at++;
                    else if (Peek() != close) throw Error($"expected ',' or '{close}'");
                }
            }
            if (c is '\'' or '"') return ReadString();
            if (char.IsAsciiDigit(c) || c == '-') return ReadInteger();
            return ReadValue(depth + 1);
        }

        private long[] ReadTuple()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')') { _at++; break; }
                dims.Add(ReadInteger());
                SkipSpace();
                if (Peek() == ',') { _at++; continue; }
                Expect(')');
                break;
            }
            return dims.ToArray();
        }

        private long ReadInteger()
        {
            SkipSpace();
            int start = _at;
            if (Peek() == '-') _at++;
            while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
            if (!long.TryParse(text.AsSpan(start, _at - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                throw Error("a dimension is not a 64-bit integer");
            if (_at < text.Length && text[_at] == 'L') _at++; // Python 2's long suffix
            return value;
        }

        private string ReadString()
        {
            SkipSpace();
            char quote = Peek();
            if (quote is not ('\'' or '"')) throw Error("expected a quoted string");
            _at++;
            var sb = new StringBuilder();
            while (true)
            {
                if (_at >= text.Length) throw Error("unterminated string");
                char c = text[_at++];
                if (c == quote) return sb.ToString();
                if (c == '\\' && _at < text.Length) c = text[_at++];
                sb.Append(c);
            }
        }

        private bool Match(string word)
        {
            if (string.CompareOrdinal(text, _at, word, 0, word.Length) != 0) return false;
            _at += word.Length;
            return true;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c) throw Error($"expected '{c}'");
            _at++;
        }

        private char Peek() => _at < text.Length ? text[_at] : throw Error("the header ends early");

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }

        private MultiscaleException Error(string what)
        {
            string shown = text.Length > 200 ? text[..200] + "…" : text;
            shown = new string(shown.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray()).Trim();
            return new MultiscaleException($"'{name}': malformed .npy header ({what} at character {_at}): {shown}");
        }
    }
}
