using System.Text;

namespace BnGen.Generator.Emit;

/// <summary>Writes C# line by line with four-space indentation and \n line endings, whatever the host.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
            _builder.Append(' ', _indent * 4).Append(text);
        _builder.Append('\n');
    }

    /// <summary>Writes the header line (if any), an opening brace, and indents what follows.</summary>
    public void Open(string header = "")
    {
        if (header.Length > 0)
            Line(header);
        Line("{");
        _indent++;
    }

    /// <summary>Closes a block; a blank line left before it by the last member is dropped.</summary>
    public void Close(string trailer = "")
    {
        if (_builder.Length >= 2 && _builder[_builder.Length - 1] == '\n' && _builder[_builder.Length - 2] == '\n')
            _builder.Length--;
        _indent--;
        Line("}" + trailer);
    }

    public override string ToString() => _builder.ToString();
}
