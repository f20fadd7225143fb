namespace ChatKit.Ids;

/// <summary>Issues 64-bit ids that are unique across all nodes and never go backwards on one node.</summary>
public interface IIdGenerator
{
    /// <summary>The next id.</summary>
    long NextId();
}
