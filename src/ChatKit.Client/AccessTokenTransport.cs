namespace ChatKit.Client;

/// <summary>How the access token travels with the WebSocket upgrade (PROTOCOL.md section 1).</summary>
public enum AccessTokenTransport
{
    /// <summary><c>Authorization: Bearer</c> header; not possible in a browser, where the query string is used.</summary>
    Header,

    /// <summary>The <c>access_token</c> query parameter (what browsers must use).</summary>
    QueryString,

    /// <summary>Both the header and the query parameter.</summary>
    Both,
}
