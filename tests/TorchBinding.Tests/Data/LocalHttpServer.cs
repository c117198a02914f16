using System.Net;
using System.Net.Sockets;

namespace TorchBinding.Tests.Data;

/// <summary>A tiny HTTP server on 127.0.0.1 for download tests: serves fixed bytes per path, or breaks off mid-response.</summary>
sealed class LocalHttpServer : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    readonly HashSet<string> _truncated = new(StringComparer.Ordinal);
    readonly Task _loop;

    public LocalHttpServer()
    {
        // Find a free port, then listen on it (HttpListener cannot pick one itself).
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path.TrimStart('/')}";

    public List<string> Requests { get; } = [];

    public void Add(string path, byte[] content) => _files["/" + path.TrimStart('/')] = content;

    /// <summary>Serves the first half of the content while announcing the whole length, then drops the connection.</summary>
    public void AddTruncated(string path, byte[] content)
    {
        Add(path, content);
        _truncated.Add("/" + path.TrimStart('/'));
    }

    async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            var path = context.Request.Url!.AbsolutePath;
            lock (Requests) Requests.Add(path);
            if (!_files.TryGetValue(path, out var content))
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                continue;
            }
            context.Response.ContentLength64 = content.Length;
            try
            {
                if (_truncated.Contains(path))
                {
                    await context.Response.OutputStream.WriteAsync(content.AsMemory(0, content.Length / 2));
                    await context.Response.OutputStream.FlushAsync();
                    context.Response.Abort();
                }
                else
                {
                    await context.Response.OutputStream.WriteAsync(content);
                    context.Response.Close();
                }
            }
            catch (HttpListenerException) { }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
