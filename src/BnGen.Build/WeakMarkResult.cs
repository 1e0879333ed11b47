namespace BnGen.Build;

/// <summary>What <see cref="ElfVersionNeeds.MarkWeak"/> found and did.</summary>
internal enum WeakMarkResult
{
    /// <summary>The flag was set; the bytes changed.</summary>
    Marked,
    /// <summary>The version need was already weak; nothing changed.</summary>
    AlreadyWeak,
    /// <summary>The file does not need that version of that library; nothing changed.</summary>
    NotRequired,
}
