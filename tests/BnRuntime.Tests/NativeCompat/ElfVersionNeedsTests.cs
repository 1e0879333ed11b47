using System;
using System.Linq;
using BnGen.Build;

namespace BnGen.Tests.NativeCompat;

public sealed class ElfVersionNeedsTests
{
    private const string LibStdCxx = "libstdc++.so.6";
    private const string Glibcxx32 = "GLIBCXX_3.4.32";

    private static byte[] TorchSharpLike() => SyntheticElf.WithNeeds(
        ("libc.so.6", new[] { "GLIBC_2.14", "GLIBC_2.2.5" }),
        (LibStdCxx, new[] { "GLIBCXX_3.4.30", "CXXABI_1.3.13", Glibcxx32, "GLIBCXX_3.4" }));

    [Fact]
    public void Reads_every_need_in_file_order()
    {
        var needs = ElfVersionNeeds.ListNeeds(TorchSharpLike());

        Assert.Equal(
            new[] { "libc.so.6/GLIBC_2.14", "libc.so.6/GLIBC_2.2.5", "libstdc++.so.6/GLIBCXX_3.4.30", "libstdc++.so.6/CXXABI_1.3.13", "libstdc++.so.6/GLIBCXX_3.4.32", "libstdc++.so.6/GLIBCXX_3.4" },
            needs.Select(n => n.Library + "/" + n.Version));
        Assert.All(needs, n => Assert.Equal(0, n.Flags));
    }

    [Fact]
    public void Marking_sets_the_weak_flag_on_that_entry_and_changes_no_other_byte()
    {
        byte[] original = TorchSharpLike();
        byte[] patched = (byte[])original.Clone();

        var result = ElfVersionNeeds.MarkWeak(patched, LibStdCxx, Glibcxx32);

        Assert.Equal(WeakMarkResult.Marked, result);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Single(changed);
        Assert.Equal(2, patched[changed[0]]);
        var needs = ElfVersionNeeds.ListNeeds(patched);
        Assert.Equal(2, needs.Single(n => n.Version == Glibcxx32).Flags);
        Assert.All(needs.Where(n => n.Version != Glibcxx32), n => Assert.Equal(0, n.Flags));
    }

    [Fact]
    public void Marking_twice_is_a_no_op_the_second_time()
    {
        byte[] bytes = TorchSharpLike();
        ElfVersionNeeds.MarkWeak(bytes, LibStdCxx, Glibcxx32);
        byte[] afterFirst = (byte[])bytes.Clone();

        var second = ElfVersionNeeds.MarkWeak(bytes, LibStdCxx, Glibcxx32);

        Assert.Equal(WeakMarkResult.AlreadyWeak, second);
        Assert.Equal(afterFirst, bytes);
    }

    [Fact]
    public void A_file_that_does_not_need_the_version_is_left_unchanged()
    {
        byte[] bytes = SyntheticElf.WithNeeds((LibStdCxx, new[] { "GLIBCXX_3.4.26", "GLIBCXX_3.4" }));
        byte[] original = (byte[])bytes.Clone();

        var result = ElfVersionNeeds.MarkWeak(bytes, LibStdCxx, Glibcxx32);

        Assert.Equal(WeakMarkResult.NotRequired, result);
        Assert.Equal(original, bytes);
    }

    [Fact]
    public void The_same_version_name_of_another_library_is_not_touched()
    {
        byte[] bytes = SyntheticElf.WithNeeds(("libother.so.1", new[] { Glibcxx32 }));
        byte[] original = (byte[])bytes.Clone();

        Assert.Equal(WeakMarkResult.NotRequired, ElfVersionNeeds.MarkWeak(bytes, LibStdCxx, Glibcxx32));
        Assert.Equal(original, bytes);
    }

    [Fact]
    public void Reads_the_versions_a_library_defines()
    {
        byte[] libstdcxx = SyntheticElf.WithDefinitions("libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.30");

        Assert.Equal(new[] { "libstdc++.so.6", "GLIBCXX_3.4", "GLIBCXX_3.4.30" }, ElfVersionNeeds.ListDefinitions(libstdcxx));
    }

    [Fact]
    public void A_non_elf_file_is_a_clear_error()
    {
        byte[] text = System.Text.Encoding.ASCII.GetBytes(new string('x', 200));

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionNeeds.MarkWeak(text, LibStdCxx, Glibcxx32));
        Assert.Contains("not an ELF file", error.Message);
    }

    [Fact]
    public void A_32_bit_or_big_endian_elf_is_refused_by_name()
    {
        byte[] elf32 = TorchSharpLike();
        elf32[4] = 1;
        byte[] bigEndian = TorchSharpLike();
        bigEndian[5] = 2;

        Assert.Contains("only 64-bit", Assert.Throws<ElfFormatException>(() => ElfVersionNeeds.ListNeeds(elf32)).Message);
        Assert.Contains("only little-endian", Assert.Throws<ElfFormatException>(() => ElfVersionNeeds.ListNeeds(bigEndian)).Message);
    }

    [Fact]
    public void Every_truncation_is_a_clear_error_or_a_correct_read_never_a_crash()
    {
        byte[] full = TorchSharpLike();
        for (int length = 0; length < full.Length; length++)
        {
            byte[] truncated = full.AsSpan(0, length).ToArray();
            var error = Record.Exception(() => ElfVersionNeeds.MarkWeak(truncated, LibStdCxx, Glibcxx32));
            // The section headers sit at the end, so every proper prefix loses part of the structure.
            var elfError = Assert.IsType<ElfFormatException>(error);
            Assert.False(string.IsNullOrWhiteSpace(elfError.Message));
        }
    }

    [Fact]
    public void A_string_index_past_its_table_is_a_clear_error()
    {
        byte[] bytes = TorchSharpLike();
        // The first Elf64_Verneed starts right after the 64-byte header; vn_file is at +4.
        BitConverter.GetBytes(0x7fff_0000u).CopyTo(bytes, 64 + 4);

        var error = Assert.Throws<ElfFormatException>(() => ElfVersionNeeds.ListNeeds(bytes));
        Assert.Contains("past the end", error.Message);
    }
}
