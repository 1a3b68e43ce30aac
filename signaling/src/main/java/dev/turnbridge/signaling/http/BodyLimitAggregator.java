package dev.turnbridge.signaling.http;

import dev.turnbridge.signaling.message.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/** {@link HttpObjectAggregator} whose oversized-body answer is our JSON {@code too_large} error. */
public final class BodyLimitAggregator extends HttpObjectAggregator {

    public BodyLimitAggregator(int maxContentLength) {
        super(maxContentLength);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        // Close: the rest of the body may still be on its way and we will not read it.
        HttpResponses.write(ctx, HttpResponses.error(ErrorCode.TOO_LARGE, "request body too large"), false);
    }
}
