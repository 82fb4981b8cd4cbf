using System.Security.Cryptography;
using System.Text;
using YoloSweep.Contracts.Api;

namespace YoloSweep.Silo;

/// <summary>The two bearer-token roles: clients submit and cancel sweeps, trainers lease and report trials.</summary>
public enum Role { Client, Trainer }

/// <summary>Checks the bearer token of each API call against the role an endpoint group needs (401 / 403).</summary>
public sealed class Auth(SiloOptions options)
{
    readonly byte[] _client = Encoding.UTF8.GetBytes(options.ClientToken ?? "");
    readonly byte[] _trainer = Encoding.UTF8.GetBytes(options.TrainerToken ?? "");

    public Role? RoleOf(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var token = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        if (_client.Length > 0 && CryptographicOperations.FixedTimeEquals(token, _client)) return Role.Client;
        if (_trainer.Length > 0 && CryptographicOperations.FixedTimeEquals(token, _trainer)) return Role.Trainer;
        return null;
    }

    /// <summary>An endpoint filter admitting only the given roles.</summary>
    public Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> Require(params Role[] roles) =>
        async (ctx, next) =>
        {
            var role = RoleOf(ctx.HttpContext);
            if (role is null)
            {
                ctx.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                return Results.Json(new ErrorResponse("missing or invalid bearer token (Authorization: Bearer <token>)"), Api.Http.JsonOptions, statusCode: 401);
            }
            if (!roles.Contains(role.Value))
                return Results.Json(new ErrorResponse($"the {role.Value.ToString().ToLowerInvariant()} token may not do this; it needs the {string.Join(" or ", roles.Select(r => r.ToString().ToLowerInvariant()))} token"),
                    Api.Http.JsonOptions, statusCode: 403);
            return await next(ctx);
        };
}
